#!/usr/bin/env python3
"""Generate a realistic, seeded company mailbox as a Maildir, for benchmarking syncd.

Usage::

    python bench/gen_mailbox.py OUT_DIR --messages 20000 --seed 1 \\
        [--owner alice@acme-robotics.com] [--attachment-share 0.10]

Why it looks the way it does: syncd's cost and correctness depend on what real
mailboxes contain, not on message count alone. So the mailbox has thousands of
external people at hundreds of companies (with .de/.co.uk/.co.jp... domains and
free-mail addresses), skewed senders, threads with quoting, signatures, bulk mail,
role addresses, internal chatter, every common MIME shape and a few broken files.

Determinism: one ``random.Random(seed)`` drives the stream; people are derived
from ``(seed, index)`` on demand, so the same seed gives byte-identical files.

Memory stays flat: each message is written as soon as it is made; the only state
kept across threads is a few integers per person and per company (no names,
no bodies), and attachments are windows onto one fixed pool of random bytes.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import calendar
import html
import os
import random
import string
import sys
import time
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

# appended, not first: bench/google.py must not shadow the google package
sys.path.append(str(Path(__file__).resolve().parent))

import mailbox_data as data

REF_EPOCH = calendar.timegm((2026, 11, 1, 0, 0, 0))
"""Fixed "now": dates never depend on the clock, so output is reproducible."""
DAY = 86400
CRLF = "\r\n"

MESSAGE_SHARES = {"bulk": 0.15, "role": 0.03, "internal": 0.05}
"""Share of messages per thread kind; external conversations take the rest."""
THREAD_LENGTHS = {
    "external": (30, 25, 17, 11, 7, 5, 3, 2),
    "internal": (40, 30, 15, 10, 5),
    "role": (50, 35, 15),
    "bulk": (1,),
}
"""Weights of thread lengths 1..k per kind (external threads run to 8 messages)."""
MALFORMED_SHARE = 0.002
FREEMAIL_SHARE = 0.10
PEOPLE_PER_MESSAGE = 1 / 5
PEOPLE_PER_COMPANY = 8
COLLEAGUES = 15

ATTACH_MIN, ATTACH_MAX = 50 * 1024, 3 * 1024 * 1024
POOL_LINES = 8 * 1024 * 1024 // 57
"""Attachment bytes come from an 8 MiB random pool, pre-encoded in 57-byte lines."""

WDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_LONG = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_LONG = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)
MONAT = (
    "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
    "Dez.",
)
WDAY_DE = ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So.")
MOIS = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
    "nov.", "déc.",
)
WDAY_FR = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")

NAME_GROUP = {"us": "en", "io": "en", "uk": "en", "au": "en", "de": "de", "fr": "fr", "jp": "jp"}
"""Locales sharing a name pool; free-mail uniqueness is kept per pool, not per locale."""
NAME_POOLS: dict[str, tuple[Sequence[tuple[str, str]], Sequence[tuple[str, str]]]] = {
    "en": ([(n, n) for n in data.EN_FIRST], [(n, n) for n in data.EN_LAST]),
    "de": ([(n, n) for n in data.DE_FIRST], [(n, n) for n in data.DE_LAST]),
    "fr": ([(n, n) for n in data.FR_FIRST], [(n, n) for n in data.FR_LAST]),
    "jp": (data.JP_GIVEN, data.JP_FAMILY),
}
"""(display, romanised) pairs of first and last names per pool."""
TIMEZONES: dict[str, tuple[tuple[int, int], ...]] = {
    "us": ((-300, -240), (-360, -300), (-480, -420)),
    "io": ((-480, -420), (0, 60), (60, 120), (-300, -240)),
    "uk": ((0, 60),),
    "de": ((60, 120),),
    "fr": ((60, 120),),
    "jp": ((540, 540),),
    "au": ((600, 660), (480, 480)),
}
"""(standard, summer) UTC offsets in minutes; Australia's summer is our winter."""

Addr = tuple[str, str]
"""(display name, address); an empty name is written as a bare address."""


# --------------------------------------------------------------------------- text


_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae",
                           "Ö": "Oe", "Ü": "Ue", "'": "", " ": "", "-": ""})


def slug(text: str) -> str:
    """ASCII form of a name for addresses and domains (Jürgen -> juergen)."""
    folded = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    return "".join(c for c in folded if c.isascii() and c.isalnum()).lower()


def fold_ascii(text: str) -> str:
    """Accents dropped as an address book might (Jürgen Weiß -> Jurgen Weiss)."""
    folded = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return "".join(c for c in folded if c.isascii())


def local_time(epoch: int, offset: int) -> time.struct_time:
    """Wall-clock fields at a UTC offset in minutes, without tz database lookups."""
    return time.gmtime(epoch + offset * 60)


def offset_for(tz: tuple[int, int], southern: bool, epoch: int) -> int:
    """UTC offset in effect at ``epoch``: a crude DST rule is enough for realism."""
    month = time.gmtime(epoch).tm_mon
    summer = (month >= 10 or month <= 3) if southern else 4 <= month <= 10
    return tz[1] if summer else tz[0]


def rfc5322_date(epoch: int, offset: int) -> str:
    """``Tue, 3 Mar 2026 14:02:11 +0100`` (faster than email.utils for our use)."""
    t = local_time(epoch, offset)
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return (f"{WDAY[t.tm_wday]}, {t.tm_mday} {MON[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {sign}{hours:02d}{minutes:02d}")


def is_ascii(text: str) -> bool:
    """True when the text needs no charset encoding."""
    return text.isascii()


def encoded_words(text: str, use_q: bool) -> list[str]:
    """RFC 2047 encoded words, each at most 75 characters, split on characters."""
    words: list[str] = []
    chunk = ""
    limit = 63 if use_q else 45  # encoded payload room inside =?UTF-8?x?...?=
    for char in text:
        candidate = chunk + char
        size = len(_q_encode(candidate)) if use_q else len(candidate.encode())
        if size > limit and chunk:
            words.append(_word(chunk, use_q))
            candidate = char
        chunk = candidate
    if chunk:
        words.append(_word(chunk, use_q))
    return words


def _q_encode(text: str) -> str:
    """Q encoding for a phrase: only letters and digits stay literal."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        if char == " ":
            out.append("_")
        elif char.isascii() and char.isalnum():
            out.append(char)
        else:
            out.append(f"={byte:02X}")
    return "".join(out)


def _word(chunk: str, use_q: bool) -> str:
    """One encoded word."""
    if use_q:
        return f"=?UTF-8?Q?{_q_encode(chunk)}?="
    return f"=?UTF-8?B?{base64.b64encode(chunk.encode()).decode()}?="


_SPECIALS = frozenset('()<>[]:;@\\,."')


def phrase(name: str, use_q: bool = False) -> str:
    """A display name as a header phrase: atoms, a quoted string, or encoded words."""
    if not is_ascii(name):
        return " ".join(encoded_words(name, use_q))
    if any(c in _SPECIALS for c in name):
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return name


def format_addr(addr: Addr, use_q: bool = False) -> str:
    """``Name <a@b>`` or a bare address when there is no name."""
    name, email = addr
    return f"{phrase(name, use_q)} <{email}>" if name else email


def fold_list(field_name: str, items: Sequence[str], sep: str = ",") -> str:
    """A header whose items are folded onto continuation lines beyond 78 columns."""
    line = f"{field_name}: "
    lines: list[str] = []
    for i, item in enumerate(items):
        piece = item + (sep if i < len(items) - 1 else "")
        if len(line) + len(piece) > 78 and line.strip() != f"{field_name}:":
            lines.append(line.rstrip())
            line = " "
        line += piece + " "
    lines.append(line.rstrip())
    return CRLF.join(lines)


def subject_header(subject: str, use_q: bool) -> str:
    """Subject, RFC 2047-encoded and folded when it is not plain ASCII."""
    if is_ascii(subject):
        return fold_list("Subject", subject.split(" "), sep="")
    return "Subject: " + (CRLF + " ").join(encoded_words(subject, use_q))


def text_to_html(lines: Sequence[str], wrapper: tuple[str, str]) -> str:
    """Plain lines to simple HTML: quoted lines become nested blockquotes."""
    out = [wrapper[0]]
    depth = 0
    for line in lines:
        level, text = _quote_level(line)
        while depth < level:
            out.append('<blockquote style="margin:0 0 0 .8ex;border-left:1px #ccc solid;'
                       'padding-left:1ex">')
            depth += 1
        while depth > level:
            out.append("</blockquote>")
            depth -= 1
        out.append(f"<div>{_linkify(html.escape(text, quote=False)) or '<br>'}</div>")
    out.extend(["</blockquote>"] * depth)
    out.append(wrapper[1])
    return CRLF.join(out)


def _quote_level(line: str) -> tuple[int, str]:
    """How deeply a line is quoted (``> > x`` and ``>> x`` are both 2)."""
    level = 0
    i = 0
    while i < len(line) and line[i] in "> ":
        if line[i] == ">":
            level += 1
        elif level == 0:
            break
        i += 1
    return level, line[i:] if level else line


def _linkify(text: str) -> str:
    """Wrap the first URL of a signature line in a link, as mail clients do."""
    for marker in ("https://", "www."):
        start = text.find(marker)
        if start >= 0:
            end = text.find(" ", start)
            end = len(text) if end < 0 else end
            url = text[start:end]
            href = url if url.startswith("https://") else "https://" + url
            return f'{text[:start]}<a href="{href}">{url}</a>{text[end:]}'
    return text


# --------------------------------------------------------------------------- people


@dataclass(frozen=True, slots=True)
class Company:
    """A customer or supplier organisation; people share its domain."""

    name: str
    short: str
    domain: str
    locale: str
    city: str
    website: str
    convention: str
    perm: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Person:
    """Everything about a person that shows in mail; derived, never stored."""

    first: str
    last: str
    first_ascii: str
    last_ascii: str
    email: str
    display: str
    lang: str
    client: str
    tz: tuple[int, int]
    southern: bool
    signature: tuple[str, ...]
    company: Company | None = None

    @property
    def addr(self) -> Addr:
        """How the person's own client writes the From header."""
        return (self.display, self.email)


class Zipf:
    """Pick index ``i < n`` with weight ``1/(i+1)**s``; the table grows on demand."""

    def __init__(self, s: float) -> None:
        self.s = s
        self.cum = array("d")

    def pick(self, rng: random.Random, n: int) -> int:
        """One draw among the first ``n`` items."""
        while len(self.cum) < n:
            last = self.cum[-1] if self.cum else 0.0
            self.cum.append(last + 1.0 / (len(self.cum) + 1) ** self.s)
        return min(bisect_right(self.cum, rng.random() * self.cum[n - 1], 0, n), n - 1)


def weighted(rng: random.Random, weights: Sequence[float]) -> int:
    """Index drawn with the given weights (small lists only)."""
    x = rng.random() * sum(weights)
    for i, w in enumerate(weights):
        x -= w
        if x < 0:
            return i
    return len(weights) - 1


def coprime_perm(rng: random.Random, size: int) -> tuple[int, int]:
    """(a, b) so that ``k -> (a*k + b) % size`` is a permutation: unique names by rank."""
    while True:
        a = rng.randrange(1, max(size, 2))
        if _gcd(a, size) == 1:
            return a, rng.randrange(size)


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


class Directory:
    """The population: companies, external people, colleagues and the owner.

    People are introduced over the run at the target rate (one per five messages)
    and re-picked with a Zipf law, so a few contacts write a lot. Only two small
    integers are kept per person; names and signatures are re-derived on demand.
    """

    def __init__(self, seed: int, owner: str, n_messages: int, rng: random.Random) -> None:
        self.seed = seed
        self.rng = rng
        self.target_people = max(4, round(n_messages * PEOPLE_PER_MESSAGE))
        self.target_companies = max(2, round(self.target_people / PEOPLE_PER_COMPANY))
        self.person_company = array("i")
        self.person_rank = array("i")
        self.companies: list[Company] = []
        self.company_members: list[array[int]] = []
        self.locale_counts = dict.fromkeys(data.LOCALES, 0)
        self.company_perms = {loc: coprime_perm(rng, self._company_space(loc))
                              for loc in data.LOCALES}
        self.freemail_counts = dict.fromkeys(NAME_POOLS, 0)
        self.freemail_perms = {group: coprime_perm(rng, len(firsts) * len(lasts))
                               for group, (firsts, lasts) in NAME_POOLS.items()}
        self.people_zipf = Zipf(0.95)
        self.company_zipf = Zipf(0.75)
        self.person: Callable[[int], Person] = lru_cache(maxsize=4096)(self._derive)
        self.owner = make_owner(owner, rng)
        self.colleagues = make_colleagues(self.owner, rng)
        self.colleague_zipf = Zipf(1.0)

    # -- companies

    @staticmethod
    def _company_space(locale: str) -> int:
        return len(data.COMPANY_STEMS[locale]) * len(data.COMPANY_WORDS[locale])

    def new_company(self) -> int:
        """Introduce the next company; names are unique by construction."""
        rng = self.rng
        locale = list(data.LOCALES)[weighted(rng, [w for _, w in data.LOCALES.values()])]
        rank = self.locale_counts[locale]
        self.locale_counts[locale] += 1
        stems, words = data.COMPANY_STEMS[locale], data.COMPANY_WORDS[locale]
        a, b = self.company_perms[locale]
        index = (a * rank + b) % (len(stems) * len(words))
        stem, word = stems[index % len(stems)], words[index // len(stems)]
        generation = rank // (len(stems) * len(words))
        short = f"{stem} {word}".strip()
        legal = rng.choice(data.LEGAL_FORMS[locale])
        label = slug(stem) + ("-" if rng.random() < 0.45 and word else "") + slug(word)
        label += str(generation + 1) if generation else ""
        domain = f"{label}.{data.LOCALES[locale][0]}"
        website = rng.choice((f"www.{domain}", f"https://www.{domain}", f"https://{domain}"))
        convention = rng.choice(("first.last", "first.last", "first.last", "first_last",
                                 "firstlast", "last.first", "first-last"))
        group = NAME_GROUP[locale]
        size = len(NAME_POOLS[group][0]) * len(NAME_POOLS[group][1])
        self.companies.append(Company(
            name=f"{short} {legal}".strip(), short=short, domain=domain, locale=locale,
            city=rng.choice(data.CITIES[locale]), website=website, convention=convention,
            perm=coprime_perm(rng, size)))
        self.company_members.append(array("i"))
        return len(self.companies) - 1

    def pick_company(self, progress: float) -> int:
        """An existing company (Zipf) or a new one when behind the target count."""
        due = self.target_companies * progress
        if not self.companies or len(self.companies) < due:
            return self.new_company()
        return self.company_zipf.pick(self.rng, len(self.companies))

    # -- people

    @property
    def people(self) -> int:
        """External people introduced so far."""
        return len(self.person_company)

    def new_person(self, progress: float, company: int | None = None) -> int:
        """Introduce a person at ``company`` (or a company/free-mail pool chosen now)."""
        if company is None:
            if self.rng.random() < FREEMAIL_SHARE:
                locale_index = weighted(self.rng, [w for _, w in data.LOCALES.values()])
                company = -1 - locale_index
            else:
                company = self.pick_company(progress)
        if company >= 0:
            rank = len(self.company_members[company])
            self.company_members[company].append(self.people)
        else:
            group = NAME_GROUP[list(data.LOCALES)[-1 - company]]
            rank = self.freemail_counts[group]
            self.freemail_counts[group] += 1
        self.person_company.append(company)
        self.person_rank.append(rank)
        return self.people - 1

    def pick_contact(self, progress: float) -> int:
        """The main external person of a thread: new when behind target, else Zipf."""
        if self.people < max(1.0, self.target_people * progress):
            return self.new_person(progress)
        return self.people_zipf.pick(self.rng, self.people)

    def coworker_of(self, person: int, progress: float) -> int | None:
        """Another person at the same company, sometimes a newly met one."""
        company = self.person_company[person]
        if company < 0:
            return None
        members = self.company_members[company]
        if len(members) < 2 or (self.rng.random() < 0.3 and
                                self.people < self.target_people * progress + 5):
            return self.new_person(progress, company)
        other = members[self.rng.randrange(len(members))]
        return None if other == person else other

    def colleague(self) -> Person:
        """A colleague at the owner's company; some are in far more threads."""
        return self.colleagues[self.colleague_zipf.pick(self.rng, len(self.colleagues))]

    def companies_used(self) -> int:
        """Companies with at least one person (role-only companies count too)."""
        return len(self.companies)

    def _derive(self, index: int) -> Person:
        """Rebuild person ``index`` from the seed: identical on every call."""
        rng = random.Random(f"{self.seed}/person/{index}")
        company_index, rank = self.person_company[index], self.person_rank[index]
        company = self.companies[company_index] if company_index >= 0 else None
        locale = company.locale if company else list(data.LOCALES)[-1 - company_index]
        group = NAME_GROUP[locale]
        firsts, lasts = NAME_POOLS[group]
        a, b = company.perm if company else self.freemail_perms[group]
        size = len(firsts) * len(lasts)
        slot = (a * rank + b) % size
        first, last = firsts[slot % len(firsts)], lasts[slot // len(firsts)]
        suffix = str(rank // size + 1) if rank >= size else ""
        first_ascii, last_ascii = slug(first[1]), slug(last[1])
        if company:
            email = f"{address_local(company.convention, first_ascii, last_ascii)}{suffix}"
            email += f"@{company.domain}"
        else:
            email = freemail_address(rng, locale, first_ascii, last_ascii, suffix)
        return build_person(rng, locale, first, last, email=email, company=company)


def address_local(convention: str, first: str, last: str) -> str:
    """Local part by company convention (all injective, so addresses stay unique)."""
    return {
        "first.last": f"{first}.{last}", "first_last": f"{first}_{last}",
        "firstlast": f"{first}{last}", "last.first": f"{last}.{first}",
        "first-last": f"{first}-{last}",
    }[convention]


def freemail_address(rng: random.Random, locale: str, first: str, last: str,
                     suffix: str) -> str:
    """A personal address such as ``jane.doe84@gmail.com``."""
    domain = rng.choice(data.FREEMAIL[locale])
    local = rng.choice((f"{first}.{last}", f"{first}{last}", f"{first}.{last}.{rng.randint(1, 99)}",
                        f"{first}{last}{rng.randint(60, 99)}"))
    return f"{local}{suffix}@{domain}"


def build_person(rng: random.Random, locale: str, first: tuple[str, str],
                 last: tuple[str, str], *, email: str, company: Company | None) -> Person:
    """Name formats, mail client, language, time zone and signature of one person."""
    group = NAME_GROUP[locale]
    kanji = group == "jp" and rng.random() < 0.5
    first_name = first[0] if kanji else first[1] if group == "jp" else first[0]
    last_name = last[0] if kanji else last[1] if group == "jp" else last[0]
    display = display_name(rng, first_name, last_name, kanji)
    client = pick_client(rng, email, company)
    lang = {"de": "de" if rng.random() < 0.55 else "en",
            "fr": "fr" if rng.random() < 0.5 else "en", "jp": "jp"}.get(group, "en")
    tz = rng.choice(TIMEZONES[locale])
    person = Person(first=first_name, last=last_name, first_ascii=fold_ascii(first[1]),
                    last_ascii=fold_ascii(last[1]), email=email, display=display, lang=lang,
                    client=client, tz=tz, southern=locale == "au", signature=(),
                    company=company)
    signature = build_signature(rng, person, locale, kanji_names=(first, last))
    return replace(person, signature=signature)


def display_name(rng: random.Random, first: str, last: str, kanji: bool) -> str:
    """How a person's client names them: "First Last", "Last, First", none ..."""
    if kanji:
        return f"{last} {first}"
    style = weighted(rng, (68, 12, 10, 5, 5))
    return (f"{first} {last}", f"{last}, {first}", "", f"{last.upper()} {first}",
            f"{first} {last[0]}.")[style]


def pick_client(rng: random.Random, email: str, company: Company | None) -> str:
    """Mail client, which decides MIME shape, quoting style and Message-ID form."""
    domain = email.rsplit("@", 1)[1]
    if company is None:
        if domain == "gmail.com":
            return "gmail"
        if domain.startswith(("outlook", "hotmail")):
            return "outlook"
        return rng.choice(("webmail", "webmail", "apple"))
    return ("outlook", "gmail", "apple", "thunderbird", "webmail")[
        weighted(rng, (50, 22, 15, 6, 7))]


def phone_number(rng: random.Random, locale: str, mobile: bool = False) -> str:
    """An international-format number in the style of the country."""
    d = rng.randint
    if locale in ("us", "io"):
        area = rng.choice((212, 312, 415, 512, 617, 646, 720, 404))
        return rng.choice((f"+1 ({area}) 555-01{d(0, 99):02d}", f"+1 {area} 555 01{d(0, 99):02d}",
                           f"+1-{area}-555-01{d(0, 99):02d}"))
    if locale == "uk":
        if mobile:
            return f"+44 7700 900{d(0, 999):03d}"
        return rng.choice((f"+44 20 7946 0{d(0, 999):03d}", f"+44 (0)20 7946 0{d(0, 999):03d}",
                           f"+44 113 496 0{d(0, 999):03d}"))
    if locale == "de":
        if mobile:
            return f"+49 17{d(0, 9)} {d(1000000, 9999999)}"
        area = rng.choice((89, 211, 711, 40, 221, 911, 421))
        return rng.choice((f"+49 {area} {d(100000, 999999)}-{d(0, 99)}",
                           f"+49 (0){area} {d(1000, 9999)} {d(100, 999)}",
                           f"+49 {area} {d(1000000, 9999999)}"))
    if locale == "fr":
        lead = rng.choice((6, 7)) if mobile else rng.choice((1, 4, 5))
        pairs = " ".join(f"{d(0, 99):02d}" for _ in range(4))
        return rng.choice((f"+33 {lead} {pairs}", f"+33 (0){lead} {pairs}"))
    if locale == "jp":
        if mobile:
            return f"+81 90-{d(1000, 9999)}-{d(1000, 9999)}"
        return rng.choice((f"+81 3-{d(1000, 9999)}-{d(1000, 9999)}",
                           f"+81-6-{d(1000, 9999)}-{d(1000, 9999)}"))
    if mobile:
        return f"+61 491 570 {d(100, 999)}"
    return rng.choice((f"+61 2 5550 {d(1000, 9999)}", f"+61 (0)3 5550 {d(1000, 9999)}"))


def build_signature(rng: random.Random, person: Person, locale: str,
                    kanji_names: tuple[tuple[str, str], tuple[str, str]]) -> tuple[str, ...]:
    """The person's signature block, or () for the ~20% who never sign."""
    company = person.company
    if company is None:
        if rng.random() < 0.6:
            return ()
        return ("-- ", f"{person.first} {person.last}", phone_number(rng, locale, mobile=True))
    if rng.random() < 0.18:
        return ()
    lang = person.lang
    title = rng.choice(data.TITLES["de" if lang == "de" else "fr" if lang == "fr" else
                                   "jp" if lang == "jp" else "en"])
    name = f"{person.first} {person.last}"
    if lang == "jp":
        name = f"{kanji_names[1][0]} {kanji_names[0][0]} ({kanji_names[0][1]} {kanji_names[1][1]})"
    phone = phone_number(rng, locale)
    lines = signature_body(rng, lang, name=name, title=title, company=company, phone=phone,
                           locale=locale, email=person.email)
    if rng.random() < 0.3:
        lines.append(f"https://www.linkedin.com/in/{slug(person.first_ascii)}-"
                     f"{slug(person.last_ascii)}-{rng.getrandbits(24):06x}")
    if rng.random() < 0.15:
        lines += ["", data.DISCLAIMERS[2] if lang == "de" else rng.choice(data.DISCLAIMERS[:2])]
    return tuple(lines)


def signature_body(rng: random.Random, lang: str, *, name: str, title: str, company: Company,
                   phone: str, locale: str, email: str) -> list[str]:
    """Signature lines in one of the common layouts for the person's language."""
    mobile = phone_number(rng, locale, mobile=True)
    if lang == "de" and rng.random() < 0.6:
        return [rng.choice(data.SIGNOFFS["de"]), "", name, title, "", company.name,
                f"Industriestraße {rng.randint(1, 120)} · {rng.randint(10000, 99999)} "
                f"{company.city}", f"Tel.: {phone}", f"Mobil: {mobile}", f"E-Mail: {email}",
                company.website, "",
                f"Sitz der Gesellschaft: {company.city} · Amtsgericht {company.city} "
                f"HRB {rng.randint(1000, 99999)}"]
    if lang == "fr":
        return [rng.choice(data.SIGNOFFS["fr"]), "", name, title, company.name,
                f"Tél : {phone}", f"Mob : {mobile}", company.website]
    if lang == "jp":
        return [rng.choice(data.SIGNOFFS["jp"]), "", name, company.name, title,
                f"TEL: {phone}", f"Email: {email}", company.website]
    phones = rng.choice((f"T: {phone} | M: {mobile}", f"Tel: {phone}", f"Phone: {phone}",
                         f"Mobile: {mobile}", f"Direct: {phone}", phone))
    if rng.random() < 0.5:
        return ["-- ", name, f"{title} | {company.name}", phones, company.website]
    return [rng.choice(data.SIGNOFFS["en"]), "", name, title, company.name, phones,
            company.website]


def make_owner(owner: str, rng: random.Random) -> Person:
    """The mailbox owner: first name from the address, company from the domain."""
    local, domain = owner.split("@", 1)
    first = local.split(".")[0].capitalize()
    last = rng.choice(data.EN_LAST)
    label = domain.split(".")[0]
    company_name = " ".join(p.capitalize() for p in label.split("-"))
    company = Company(name=company_name, short=company_name, domain=domain, locale="us",
                      city="Boston", website=f"www.{domain}", convention="first",
                      perm=(1, 0))
    signature = ("-- ", f"{first} {last}", "Senior Account Executive", company_name,
                 f"M: +1 (617) 555-01{rng.randint(0, 99):02d}", f"www.{domain}")
    return Person(first=first, last=last, first_ascii=first, last_ascii=last, email=owner,
                  display=f"{first} {last}", lang="en", client="outlook",
                  tz=(-300, -240), southern=False, signature=signature, company=company)


def make_colleagues(owner: Person, rng: random.Random) -> list[Person]:
    """Fifteen colleagues at the owner's domain (first-name addresses, Outlook)."""
    firsts = [f for f in data.INTERNAL_FIRST if f.lower() != owner.first.lower()][:COLLEAGUES]
    domain = owner.email.split("@", 1)[1]
    people = []
    for first in firsts:
        last = rng.choice(data.EN_LAST)
        title = rng.choice(("Account Executive", "Sales Engineer", "Customer Success Manager",
                            "Head of Sales", "Field Service Engineer", "Marketing Manager"))
        people.append(Person(
            first=first, last=last, first_ascii=first, last_ascii=slug(last),
            email=f"{first.lower()}@{domain}", display=f"{first} {last}", lang="en",
            client=rng.choice(("outlook", "outlook", "apple")), tz=(-300, -240),
            southern=False, signature=(f"{first} {last}", title, owner.company.name
                                       if owner.company else ""),
            company=owner.company))
    return people


# --------------------------------------------------------------------------- MIME


@dataclass(slots=True)
class Draft:
    """One message before rendering; bodies are plain-text lines."""

    sender: Addr
    client: str
    epoch: int
    offset: int
    subject: str
    message_id: str
    to: list[Addr]
    cc: list[Addr] = field(default_factory=list)
    bcc: list[Addr] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    html: str | None = None
    shape: str = "plain"
    attachment: tuple[str, str, int] | None = None
    headers: list[str] = field(default_factory=list)


class AttachmentPool:
    """Random bytes encoded once; an attachment is a window onto them.

    Base64 of 57 raw bytes is one 76-character line, so a window that starts on a
    57-byte boundary is a slice of the pre-encoded text plus one short tail line.
    That keeps 100,000-message runs fast without giving up valid encoding.
    """

    def __init__(self, rng: random.Random) -> None:
        self.raw = rng.randbytes(POOL_LINES * 57)
        self.encoded = base64.encodebytes(self.raw).replace(b"\n", b"\r\n")

    def encode(self, rng: random.Random, size: int) -> list[bytes]:
        """Base64 lines (CRLF, 76 columns) of ``size`` random-looking bytes."""
        full, tail = divmod(size, 57)
        start = rng.randrange(POOL_LINES - full)
        chunks = [self.encoded[start * 78:(start + full) * 78]]
        if tail:
            offset = (start + full) * 57
            chunks.append(base64.b64encode(self.raw[offset:offset + tail]) + b"\r\n")
        return chunks


def boundary(rng: random.Random, client: str) -> str:
    """A boundary in the style of the sending client."""
    if client == "gmail":
        return f"000000000000{rng.getrandbits(64):016x}"
    if client == "outlook":
        return f"_000_{rng.getrandbits(128):032X}_"
    if client == "apple":
        return f"Apple-Mail=_{uuid(rng).upper()}"
    if client == "thunderbird":
        return "------------" + "".join(rng.choices(string.ascii_uppercase + string.digits,
                                                    k=24))
    return (f"----=_Part_{rng.randint(10000, 999999)}_{rng.randint(10**8, 10**9)}."
            f"{rng.getrandbits(40)}")


def uuid(rng: random.Random) -> str:
    """A UUID-shaped string from the seeded generator (uuid4() would not repeat)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def encode_text(rng: random.Random, text: str, client: str) -> tuple[str, bytes]:
    """Pick a transfer encoding the way the client would and encode the text."""
    raw = text.encode()
    ascii_only = raw.isascii()
    if client == "webmail":
        cte = "base64" if rng.random() < 0.85 else "quoted-printable"
    elif client == "thunderbird":
        cte = "7bit" if ascii_only else "8bit"
    elif client == "outlook":
        cte = "quoted-printable" if rng.random() < 0.9 else "base64"
    elif ascii_only:
        cte = ("7bit", "quoted-printable", "base64")[weighted(rng, (60, 30, 10))]
    else:
        cte = ("quoted-printable", "base64", "8bit")[weighted(rng, (60, 25, 15))]
    if cte == "base64":
        return cte, base64.encodebytes(raw).replace(b"\n", b"\r\n")
    if cte == "quoted-printable":
        return cte, binascii.b2a_qp(raw, istext=True)
    return cte, raw


def text_part(rng: random.Random, subtype: str, text: str, client: str) -> list[bytes]:
    """Headers and body of one text/plain or text/html part."""
    cte, body = encode_text(rng, text, client)
    charset = {"gmail": '"UTF-8"', "apple": "utf-8", "thunderbird": "UTF-8"}.get(client,
                                                                                 '"utf-8"')
    flowed = "; format=flowed" if client == "thunderbird" and subtype == "plain" else ""
    head = (f"Content-Type: text/{subtype}; charset={charset}{flowed}{CRLF}"
            f"Content-Transfer-Encoding: {cte}{CRLF}{CRLF}")
    return [head.encode(), body]


def attachment_part(pool: AttachmentPool, rng: random.Random,
                    attachment: tuple[str, str, int]) -> list[bytes]:
    """A base64 attachment with RFC 2231 parameters for non-ASCII file names."""
    name, ctype, size = attachment
    if is_ascii(name):
        params_ct, params_cd = f'name="{name}"', f'filename="{name}"'
    else:
        quoted = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else
                         "".join(f"%{b:02X}" for b in c.encode()) for c in name)
        params_ct = f'name="{" ".join(encoded_words(name, False))}"'
        params_cd = f"filename*=UTF-8''{quoted}"
    head = (f"Content-Type: {ctype};{CRLF}\t{params_ct}{CRLF}"
            f"Content-Disposition: attachment;{CRLF}\t{params_cd}; size={size}{CRLF}"
            f"Content-Transfer-Encoding: base64{CRLF}{CRLF}")
    return [head.encode(), *pool.encode(rng, size)]


def render_body(rng: random.Random, pool: AttachmentPool, draft: Draft) -> list[bytes]:
    """The MIME tree, starting with its Content-Type header lines."""
    text = CRLF.join(draft.lines) + CRLF
    if draft.shape == "plain":
        inner = text_part(rng, "plain", text, draft.client)
    elif draft.shape == "html":
        inner = text_part(rng, "html", draft.html or html_for(draft), draft.client)
    else:
        inner = multipart(rng, "alternative", draft.client, [
            text_part(rng, "plain", text, draft.client),
            text_part(rng, "html", draft.html or html_for(draft), draft.client)])
    if draft.attachment is None:
        return inner
    return multipart(rng, "mixed", draft.client, [
        inner, attachment_part(pool, rng, draft.attachment)])


def multipart(rng: random.Random, subtype: str, client: str,
              parts: list[list[bytes]]) -> list[bytes]:
    """A multipart entity with a fresh boundary around ready-made parts."""
    mark = boundary(rng, client)
    out = [f'Content-Type: multipart/{subtype};{CRLF}\tboundary="{mark}"{CRLF}{CRLF}'.encode()]
    if client == "outlook" and subtype == "mixed":
        out.append(b"This is a multi-part message in MIME format.\r\n\r\n")
    for part in parts:
        out.append(f"--{mark}{CRLF}".encode())
        out.extend(part)
        out.append(CRLF.encode())
    out.append(f"--{mark}--{CRLF}".encode())
    return out


HTML_WRAPPERS = {
    "gmail": ('<div dir="ltr">', "</div>"),
    "outlook": ('<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
                '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
                '<style><!-- p.MsoNormal {margin:0cm;font-family:"Calibri",sans-serif;} -->'
                '</style></head><body lang="EN-US"><div class="WordSection1">',
                "</div></body></html>"),
    "apple": ('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8">'
              '</head><body style="overflow-wrap: break-word;">', "</body></html>"),
}
DEFAULT_WRAPPER = ("<html><head><meta charset=\"utf-8\"></head><body>", "</body></html>")


def html_for(draft: Draft) -> str:
    """HTML alternative built from the plain lines in the client's house style."""
    return text_to_html(draft.lines, HTML_WRAPPERS.get(draft.client, DEFAULT_WRAPPER))


def render(rng: random.Random, pool: AttachmentPool, draft: Draft) -> list[bytes]:
    """Complete message bytes: header block, blank line, MIME body."""
    use_q = draft.client in ("gmail", "thunderbird")
    head = list(draft.headers)
    head.append(f"From: {format_addr(draft.sender, use_q)}")
    head.append(fold_list("To", [format_addr(a, use_q) for a in draft.to]))
    if draft.cc:
        head.append(fold_list("Cc", [format_addr(a, use_q) for a in draft.cc]))
    if draft.bcc:
        head.append(fold_list("Bcc", [format_addr(a, use_q) for a in draft.bcc]))
    head.append(subject_header(draft.subject, use_q))
    head.append(f"Date: {rfc5322_date(draft.epoch, draft.offset)}")
    head.append(f"Message-ID: {draft.message_id}")
    if draft.references:
        head.append(f"In-Reply-To: {draft.references[-1]}")
        head.append(fold_list("References", draft.references, sep=""))
    head.append("MIME-Version: 1.0")
    head.extend(client_headers(rng, draft))
    return [(CRLF.join(head) + CRLF).encode("ascii"), *render_body(rng, pool, draft)]


def client_headers(rng: random.Random, draft: Draft) -> list[str]:
    """X-Mailer, Thread-Index and friends: noise a parser has to skip."""
    if draft.client == "outlook":
        index = base64.b64encode(rng.randbytes(22)).decode()
        return [f"Thread-Index: {index}", "X-MS-Has-Attach: " +
                ("yes" if draft.attachment else ""), "Content-Language: en-US",
                "X-Mailer: Microsoft Outlook 16.0"]
    if draft.client == "apple":
        return ["X-Mailer: Apple Mail (2.3826.700.81)"]
    if draft.client == "thunderbird":
        return ["User-Agent: Mozilla Thunderbird", "Content-Language: en-US"]
    return []


def message_id(rng: random.Random, client: str, domain: str) -> str:
    """A Message-ID shaped like the sending client's."""
    if client == "gmail":
        token = base64.b64encode(rng.randbytes(36)).decode().replace("/", "_")
        return f"<CA{token}@mail.gmail.com>"
    if client == "outlook":
        prefix = rng.choice(("AM6PR", "DB9PR", "VI1PR", "BN8PR", "SJ0PR"))
        host = f"{prefix}{rng.randint(1, 9):02d}MB{rng.randint(1000, 9999)}"
        region = rng.choice(("eurprd08", "eurprd04", "namprd11", "namprd04", "apcprd06"))
        return f"<{host}{rng.getrandbits(112):028X}@{host}.{region}.prod.outlook.com>"
    if client == "apple":
        return f"<{uuid(rng).upper()}@{domain}>"
    if client == "thunderbird":
        return f"<{uuid(rng)}@{domain}>"
    return f"<{rng.getrandbits(40)}.{rng.randint(1000, 99999)}.{rng.getrandbits(44)}@{domain}>"


# --------------------------------------------------------------------------- writing


class MaildirWriter:
    """Writes messages as they are made, in maildir and Maildir++ layout."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("", ".Sent"):
            for leaf in ("cur", "new", "tmp"):
                (root / sub / leaf).mkdir(parents=True, exist_ok=True)
        (root / ".Sent" / "maildirfolder").touch()
        self.seq = 0
        self.bytes = 0

    def write(self, folder: str, epoch: int, position: int, flags: str | None,
              chunks: list[bytes]) -> None:
        """One file; ``flags=None`` means new/ (no info part, per the maildir spec)."""
        name = f"{epoch}.{self.seq}_{position}.bench"
        if flags is not None:
            name += f":2,{flags}"
        path = self.root / folder / name
        with path.open("wb") as handle:
            handle.writelines(chunks)
        os.utime(path, (epoch, epoch))
        self.seq += 1
        self.bytes += sum(len(c) for c in chunks)


# --------------------------------------------------------------------------- generation


@dataclass(slots=True)
class Thread:
    """The little state a thread carries from one message to the next."""

    subject: str
    context: dict[str, str]
    ids: list[str] = field(default_factory=list)
    last_lines: list[str] = field(default_factory=list)
    last_from: Addr = ("", "")
    last_to: list[Addr] = field(default_factory=list)
    last_cc: list[Addr] = field(default_factory=list)
    last_epoch: int = 0
    last_subject: str = ""


class Generator:
    """Drives the stream of threads until the message count is reached."""

    def __init__(self, out: Path, n_messages: int, seed: int, owner: str,
                 attachment_share: float) -> None:
        self.rng = random.Random(seed)
        self.n = n_messages
        self.share = attachment_share
        self.dir = Directory(seed, owner, n_messages, self.rng)
        self.owner = self.dir.owner
        self.pool = AttachmentPool(self.rng)
        self.writer = MaildirWriter(out)
        n_bad = round(n_messages * MALFORMED_SHARE)
        self.malformed = set(self.rng.sample(range(n_messages), n_bad))
        self.attachments = 0
        self.kinds, self.kind_weights = thread_kind_weights()

    @property
    def progress(self) -> float:
        """Fraction of messages written, steering the people/company introduction."""
        return (self.writer.seq + 1) / self.n

    def run(self) -> None:
        """Write threads until exactly ``n`` files exist."""
        makers = {"external": self.external_thread, "internal": self.internal_thread,
                  "role": self.role_thread, "bulk": self.bulk_message}
        while self.writer.seq < self.n:
            makers[self.kinds[weighted(self.rng, self.kind_weights)]]()

    # -- shared steps

    def room(self) -> bool:
        """Write any malformed file due now; say whether another message fits."""
        while self.writer.seq in self.malformed:
            self.write_malformed()
        return self.writer.seq < self.n

    def emit(self, draft: Draft, position: int, sent: bool, flags: str = "S") -> None:
        """Render and write one message into .Sent/cur, cur/ or new/."""
        if not self.room():
            return
        chunks = render(self.rng, self.pool, draft)
        if sent:
            self.writer.write(".Sent/cur", draft.epoch, position, "S", chunks)
        elif REF_EPOCH - draft.epoch < 3 * DAY and self.rng.random() < 0.5:
            self.writer.write("new", draft.epoch, position, None, chunks)
        else:
            self.writer.write("cur", draft.epoch, position, flags, chunks)

    def write_malformed(self) -> None:
        """A file that is not a message: truncated garbage with no header block."""
        rng = self.rng
        kind = rng.randrange(3)
        if kind == 0:
            body = b"\x00" + rng.randbytes(rng.randint(100, 4000))
        elif kind == 1:
            body = base64.encodebytes(rng.randbytes(rng.randint(200, 3000))).replace(
                b"\n", b"\r\n")[: -rng.randint(3, 40)]
        else:
            body = ("<html><body><div>" + " ".join(rng.choices(data.EN_SENTENCES, k=5)))[
                : rng.randint(30, 300)].encode()
        epoch = REF_EPOCH - rng.randrange(365 * DAY)
        self.writer.write("cur", epoch, 0, "S", [body])

    def want_attachment(self) -> bool:
        """Bernoulli draw steered towards the requested share of all messages."""
        expected = self.share * (self.writer.seq + 1)
        p = self.share / 0.8 + (expected - self.attachments) * 0.5
        if self.rng.random() < min(1.0, max(0.0, p)):
            self.attachments += 1
            return True
        return False

    def attachment(self, lang: str, context: dict[str, str]) -> tuple[str, str, int]:
        """File name, content type and a size between 50 KB and 3 MB (skewed small)."""
        rng = self.rng
        size = int(ATTACH_MIN * (ATTACH_MAX / ATTACH_MIN) ** (rng.random() ** 2))
        kind = weighted(rng, (60, 20, 20))
        ref = context["ref"]
        if kind == 0:
            names: tuple[str, ...] = (f"Quote_{ref}.pdf", f"Invoice_{ref}.pdf",
                     f"Datasheet_{context['code']}.pdf",
                     f"NDA_{slug(context['company'])}_signed.pdf", "Terms and Conditions.pdf")
            if lang == "de":
                names = (f"Angebot_{ref}.pdf", f"Bestellung_{ref}.pdf",
                         "Lieferschein_Übersicht.pdf")
            elif lang == "fr":
                names = (f"Devis_{ref}.pdf", "Conditions_générales.pdf")
            return rng.choice(names), "application/pdf", size
        if kind == 1:
            sheet = rng.choice(("Price_list_2027.xlsx", "Forecast_Q1.xlsx",
                                f"BOM_{ref}_rev3.xlsx", "Layout_Halle_3.xlsx"))
            return sheet, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", size
        shot = f"Screenshot 2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} at 10.12.33.png"
        image = rng.choice(("image001.png", shot, "layout.png", "error_E-214.png"))
        return image, "image/png", size

    def start_epoch(self, offset: int, business: bool = True) -> int:
        """Thread start within the last year, in office hours on a weekday mostly."""
        rng = self.rng
        day = rng.randrange(365)
        base = REF_EPOCH - (day + 1) * DAY
        weekday = time.gmtime(base).tm_wday
        if business and weekday >= 5 and rng.random() < 0.85:
            base += (7 - weekday) * DAY if base + (7 - weekday) * DAY < REF_EPOCH else -2 * DAY
        hour = rng.choice((8, 9, 9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 15, 16, 17, 18, 20, 22)) \
            if business else rng.randrange(24)
        return base + hour * 3600 + rng.randrange(3600) - offset * 60

    def reply_delay(self) -> int:
        """Minutes to days between messages of a thread."""
        rng = self.rng
        bucket = weighted(rng, (35, 35, 20, 10))
        low, high = ((180, 3600), (3600, 8 * 3600), (8 * 3600, 2 * DAY), (2 * DAY, 7 * DAY))[bucket]
        return rng.randint(low, high)

    def thread_length(self, kind: str) -> int:
        """Messages planned for a thread (it may end early at the reference date)."""
        return weighted(self.rng, THREAD_LENGTHS[kind]) + 1

    def context(self, company: Company | None) -> dict[str, str]:
        """Slot values that stay fixed within a thread (product, order number ...)."""
        rng = self.rng
        locale = company.locale if company else "us"
        currency = {"de": "EUR {:,}", "fr": "{:,} EUR", "uk": "£{:,}", "jp": "¥{:,}",
                    "au": "A${:,}"}.get(locale, "${:,}")
        amount = rng.randint(8, 400) * 500 * (150 if locale == "jp" else 1)
        product_index = rng.randrange(len(data.PRODUCTS))
        return {
            "product": data.PRODUCTS[product_index],
            "code": data.PRODUCT_CODES[product_index % len(data.PRODUCT_CODES)],
            "qty": str(rng.choice((2, 3, 4, 5, 6, 10, 12, 20, 25, 40))),
            "ref": rng.choice(("PO-", "Q-2026-", "INV-", "SO-", ""))
            + str(rng.randint(10000, 99999)),
            "city": company.city if company else rng.choice(data.CITIES["us"]),
            "company": company.short if company else "the customer",
            "amount": currency.format(amount),
            "us": self.owner.company.short if self.owner.company else "us",
        }

    # -- external conversations

    def external_thread(self) -> None:
        """A conversation between the team and one company's people."""
        rng, directory, progress = self.rng, self.dir, self.progress
        contact = directory.pick_contact(progress)
        them = [contact]
        if rng.random() < 0.2:
            for _ in range(rng.randint(1, 2)):
                other = directory.coworker_of(contact, progress)
                if other is not None and other not in them:
                    them.append(other)
        people = [directory.person(i) for i in them]
        us = [self.owner]
        if rng.random() < 0.25:
            us.append(directory.colleague())
        starter = weighted(rng, (45, 45, 10))
        plan = self.plan_senders(self.thread_length("external"), starter, people, us)
        lead = people[0]
        lang = lead.lang if plan[0][0] is lead or rng.random() < 0.3 else "en"
        context = self.context(lead.company)
        thread = Thread(subject=self.subject(lang, context), context=context)
        self.run_conversation(thread, plan, people + us)

    def plan_senders(self, length: int, starter: int, them: list[Person],
                     us: list[Person]) -> list[tuple[Person, bool]]:
        """Who writes each message; the flag marks an out-of-office auto-reply."""
        rng = self.rng
        side_them = starter == 0
        plan: list[tuple[Person, bool]] = []
        for i in range(length):
            if side_them:
                sender = them[0] if rng.random() < 0.8 else rng.choice(them)
                ooo = i > 0 and rng.random() < 0.02
                plan.append((sender, ooo))
                if ooo:
                    continue
            elif i == 0 and starter == 2 and len(us) > 1:
                plan.append((us[1], False))
            else:
                plan.append((us[0] if rng.random() < 0.85 or len(us) == 1 else us[1], False))
            side_them = not side_them
        return plan

    def run_conversation(self, thread: Thread, plan: list[tuple[Person, bool]],
                         everyone: list[Person]) -> None:
        """Write the planned messages in order, each replying to the previous one."""
        owner = self.owner.email
        for position, (sender, ooo) in enumerate(plan):
            if not self.room():
                return
            epoch = self.next_epoch(thread, sender)
            if epoch >= REF_EPOCH:
                return
            if ooo:
                self.emit(self.out_of_office(thread, sender, epoch), position, sent=False)
                continue
            draft = self.conversation_draft(thread, sender, everyone, epoch, position)
            replied = position + 1 < len(plan) and plan[position + 1][0].email == owner
            flags = "RS" if replied else "FS" if self.rng.random() < 0.03 else "S"
            self.emit(draft, position, sent=sender.email == owner, flags=flags)
            self.remember(thread, draft)

    def next_epoch(self, thread: Thread, sender: Person) -> int:
        """Thread start for the first message, later a reply delay after the last."""
        if not thread.ids and not thread.last_epoch:
            return self.start_epoch(offset_for(sender.tz, sender.southern,
                                               REF_EPOCH - 180 * DAY))
        return thread.last_epoch + self.reply_delay()  # a reply, or a forward of last_epoch

    def conversation_draft(self, thread: Thread, sender: Person, everyone: list[Person],
                           epoch: int, position: int) -> Draft:
        """A person-written message: greeting, text, signature, quote of the last one."""
        rng = self.rng
        to_people = self.reply_to_whom(thread, sender, everyone)
        skip = {sender.email} | {p.email for p in to_people}
        cc_people = [p for p in everyone if p.email not in skip]
        lines = self.compose(sender, to_people[0], thread.context, reply=bool(thread.ids))
        if thread.ids:
            lines += self.quote(thread, sender)
        elif thread.last_lines:  # a forward: the original goes below the new text
            lines += ["", *thread.last_lines]
        offset = offset_for(sender.tz, sender.southern, epoch)
        client = sender.client
        if sender is self.owner and rng.random() < 0.2:
            client = "apple"
        draft = Draft(
            sender=sender.addr, client=client, epoch=epoch, offset=offset,
            subject=self.reply_subject(thread, sender) if thread.ids else thread.subject,
            message_id=message_id(rng, client, sender.email.split("@", 1)[1]),
            to=[self.addressed(p) for p in to_people], cc=[self.addressed(p) for p in cc_people],
            references=list(thread.ids), lines=lines, shape=self.shape(client))
        if sender is self.owner and rng.random() < 0.03:
            draft.bcc = [self.dir.colleague().addr]
        if self.want_attachment():
            draft.attachment = self.attachment(sender.lang, thread.context)
        if sender.email != self.owner.email:
            draft.headers = self.received_headers(draft, sender.email, position)
        return draft

    def reply_to_whom(self, thread: Thread, sender: Person, everyone: list[Person]) -> list[Person]:
        """The last writer when replying; else the other side's first person."""
        others = [p for p in everyone if p.email != sender.email]
        if thread.ids:
            last = [p for p in others if p.email == thread.last_from[1]]
            if last:
                return last
        ours = sender.company is self.owner.company
        other_side = [p for p in others if (p.company is self.owner.company) != ours]
        return other_side[:1] or others[:1]

    def remember(self, thread: Thread, draft: Draft) -> None:
        """Keep what the next reply needs: ids, text to quote, who wrote to whom."""
        thread.ids.append(draft.message_id)
        del thread.ids[:-20]
        thread.last_lines = draft.lines[:400]
        thread.last_from = draft.sender
        thread.last_to, thread.last_cc = draft.to, draft.cc
        thread.last_epoch = draft.epoch
        thread.last_subject = draft.subject

    def addressed(self, person: Person) -> Addr:
        """How a sender's address book names a recipient: it varies, as in life."""
        style = weighted(self.rng, (60, 25, 15))
        if style == 0 and person.display:
            return person.addr
        if style == 1:
            return ("", person.email)
        return (f"{person.first_ascii} {person.last_ascii}", person.email)

    def shape(self, client: str) -> str:
        """plain / alt / html by client habits."""
        weights = {"gmail": (5, 95, 0), "outlook": (0, 92, 8), "apple": (55, 45, 0),
                   "thunderbird": (75, 25, 0), "webmail": (5, 50, 45)}[client]
        return ("plain", "alt", "html")[weighted(self.rng, weights)]

    def compose(self, sender: Person, recipient: Person, context: dict[str, str],
                reply: bool) -> list[str]:
        """New text of a message: greeting, one to three paragraphs, sign-off, signature."""
        rng = self.rng
        lang = sender.lang
        greetings, sentences = {
            "de": (data.DE_GREETINGS, data.DE_SENTENCES),
            "fr": (data.FR_GREETINGS, data.FR_SENTENCES),
            "jp": (data.JP_GREETINGS, data.EN_SENTENCES),
        }.get(lang, (data.EN_GREETINGS, data.EN_SENTENCES))
        if sender.company is not None and sender.company is recipient.company:
            sentences = data.INTERNAL_SENTENCES
        slots = {**context, **self.moment_slots(lang), "first": recipient.first,
                 "last": recipient.last}
        lines = [rng.choice(greetings).format_map(slots), ""]
        count = rng.randint(1, 3) if reply else rng.randint(2, 6)
        picked = [rng.choice(sentences).format_map(slots) for _ in range(count)]
        for i, sentence in enumerate(picked):
            if i and rng.random() < 0.4:
                lines.append("")
            lines.append(sentence if i == 0 else sentence[0].upper() + sentence[1:])
        lines.append("")
        lines += self.sign_off(sender)
        return lines

    def moment_slots(self, lang: str) -> dict[str, str]:
        """Per-message slot values: a weekday, a time, a date."""
        rng = self.rng
        weekdays = {"de": data.WEEKDAYS_DE, "fr": data.WEEKDAYS_FR}.get(lang, data.WEEKDAYS)
        day, month = rng.randint(1, 28), rng.randrange(12)
        date = {"de": f"{day}. {MONAT[month]}", "fr": f"{day} {MOIS[month]}"}.get(
            lang, f"{day} {MONTH_LONG[month]}")
        clock = f"{rng.randint(8, 17)}:{rng.choice(('00', '30'))}"
        return {"weekday": rng.choice(weekdays), "time": clock, "date": date}

    def sign_off(self, sender: Person) -> list[str]:
        """Closing and signature; 70% of external messages carry the signature."""
        rng = self.rng
        signature = sender.signature
        carries = bool(signature) and rng.random() < 0.9
        closing_in_signature = bool(signature) and not signature[0].startswith("-- ") and \
            signature[0] != f"{sender.first} {sender.last}"
        lines: list[str] = []
        if not (carries and closing_in_signature):
            lines += [rng.choice(data.EN_CLOSINGS) if sender.lang != "de" else "Viele Grüße",
                      sender.first]
        if carries:
            lines += ["", *signature] if lines else list(signature)
        elif rng.random() < 0.3:
            lines += ["", rng.choice(data.MOBILE_FOOTERS)]
        return lines

    def quote(self, thread: Thread, sender: Person) -> list[str]:
        """The previous message below the reply, as the replier's client quotes it."""
        rng = self.rng
        name, email = thread.last_from
        shown = name or email
        offset = offset_for(sender.tz, sender.southern, thread.last_epoch)
        t = local_time(thread.last_epoch, offset)
        if sender.client == "outlook" and rng.random() < 0.85:
            return self.outlook_block(thread, sender.lang, t)
        hour12 = (t.tm_hour % 12) or 12
        ampm = "AM" if t.tm_hour < 12 else "PM"
        if sender.lang == "de" and sender.client == "gmail":
            line = (f"Am {WDAY_DE[t.tm_wday]}, {t.tm_mday}. {MONAT[t.tm_mon - 1]} {t.tm_year} um "
                    f"{t.tm_hour:02d}:{t.tm_min:02d} Uhr schrieb {shown} <{email}>:")
        elif sender.lang == "fr" and sender.client == "gmail":
            line = (f"Le {WDAY_FR[t.tm_wday]} {t.tm_mday} {MOIS[t.tm_mon - 1]} {t.tm_year} à "
                    f"{t.tm_hour:02d}:{t.tm_min:02d}, {shown} <{email}> a écrit :")
        elif sender.client == "apple":
            line = (f"On {t.tm_mday} {MON[t.tm_mon - 1]} {t.tm_year}, at {t.tm_hour:02d}:"
                    f"{t.tm_min:02d}, {shown} <{email}> wrote:")
        elif sender.client == "thunderbird":
            line = (f"On {t.tm_mday:02d}/{t.tm_mon:02d}/{t.tm_year} "
                    f"{t.tm_hour:02d}:{t.tm_min:02d}, {shown} wrote:")
        else:
            line = (f"On {WDAY[t.tm_wday]}, {MON[t.tm_mon - 1]} {t.tm_mday}, {t.tm_year} at "
                    f"{hour12}:{t.tm_min:02d} {ampm} {shown} <{email}> wrote:")
        nested = ">" if sender.client == "thunderbird" else "> "
        quoted = [(nested + ln if ln.startswith(">") else "> " + ln) if ln else ">"
                  for ln in thread.last_lines]
        return ["", line, *quoted]

    def outlook_block(self, thread: Thread, lang: str, t: time.struct_time) -> list[str]:
        """Outlook's unquoted header block followed by the previous text."""
        name, email = thread.last_from
        labels = ("Von:", "Gesendet:", "An:", "Cc:", "Betreff:") if lang == "de" else \
            ("From:", "Sent:", "To:", "Cc:", "Subject:")
        hour12 = (t.tm_hour % 12) or 12
        sent = (f"{WEEKDAY_LONG[t.tm_wday]}, {MONTH_LONG[t.tm_mon - 1]} {t.tm_mday}, "
                f"{t.tm_year} {hour12}:{t.tm_min:02d} {'AM' if t.tm_hour < 12 else 'PM'}")
        people = "; ".join(f"{n} <{e}>" if n else e for n, e in thread.last_to)
        block = ["", self.rng.choice(("________________________________",
                                      "-----Original Message-----")),
                 f"{labels[0]} {name + ' ' if name else ''}<{email}>", f"{labels[1]} {sent}",
                 f"{labels[2]} {people}"]
        if thread.last_cc:
            block.append(f"{labels[3]} " + "; ".join(n or e for n, e in thread.last_cc))
        block += [f"{labels[4]} {thread.last_subject}", "", *thread.last_lines]
        return block

    def reply_subject(self, thread: Thread, sender: Person) -> str:
        """"Re: " in most clients, "RE: "/"AW: " from Outlook."""
        prefix = "Re: "
        if sender.client == "outlook":
            prefix = "AW: " if sender.lang == "de" else "RE: "
        return prefix + thread.subject

    def subject(self, lang: str, context: dict[str, str]) -> str:
        """A subject in the starter's language, slots filled."""
        bank = {"de": data.DE_SUBJECTS, "fr": data.FR_SUBJECTS}.get(lang, data.EN_SUBJECTS)
        return self.rng.choice(bank).format_map({**context, **self.moment_slots(lang)})

    def out_of_office(self, thread: Thread, sender: Person, epoch: int) -> Draft:
        """An automatic reply: headers mark it, the text is boilerplate."""
        rng = self.rng
        epoch = thread.last_epoch + rng.randint(5, 90)
        text = rng.choice(data.OOO_TEXTS).format_map(self.moment_slots(sender.lang))
        prefix = "Abwesenheitsnotiz: " if sender.lang == "de" else "Automatic reply: "
        draft = Draft(
            sender=sender.addr, client=sender.client, epoch=epoch,
            offset=offset_for(sender.tz, sender.southern, epoch),
            subject=prefix + thread.subject,
            message_id=message_id(rng, sender.client, sender.email.split("@", 1)[1]),
            to=[thread.last_from], references=list(thread.ids), lines=[text],
            shape="plain",
            headers=["Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All"])
        draft.headers = self.received_headers(draft, sender.email, 1) + draft.headers
        thread.ids.append(draft.message_id)
        thread.last_epoch = epoch
        return draft

    def received_headers(self, draft: Draft, sender_email: str, salt: int) -> list[str]:
        """Transport headers an MX adds to received mail (documentation IPs only)."""
        rng = self.rng
        domain = sender_email.split("@", 1)[1]
        host = {"outlook": f"mail-{rng.choice(('db5eur03', 'am0eur02', 'bn8nam11'))}on"
                           f"{rng.randint(2040, 2130)}.outbound.protection.outlook.com",
                "gmail": f"mail-{rng.choice(('wm1', 'ej1', 'lf1', 'pl1'))}-f{rng.randint(40, 200)}"
                         ".google.com"}.get(draft.client, f"mail.{domain}")
        ip = f"{rng.choice(data.DOC_NETS)}.{rng.randint(1, 254)}"
        when = rfc5322_date(draft.epoch + rng.randint(1, 30) + salt, 0)
        own = self.owner.email
        mx = own.split("@", 1)[1]
        headers = [f"Return-Path: <{sender_email}>", f"Delivered-To: {own}",
                   f"Received: from {host} ({host} [{ip}]){CRLF}\tby mx.{mx} (Postfix) with "
                   f"ESMTPS id 4{rng.getrandbits(40):010X}{CRLF}\tfor <{own}>; {when}"]
        if rng.random() < 0.6:
            sig = base64.b64encode(rng.randbytes(128)).decode()
            headers.append(f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain};"
                           f"{CRLF}\ts=selector1; h=From:Date:Subject:Message-ID;{CRLF}"
                           f"\tbh={base64.b64encode(rng.randbytes(32)).decode()};{CRLF}"
                           f"\tb={sig[:70]}{CRLF}\t {sig[70:]}")
            headers.append(f"Authentication-Results: mx.{mx}; dkim=pass header.d={domain}; "
                           f"spf=pass{CRLF}\tsmtp.mailfrom={domain}")
        return headers

    # -- internal, role and bulk mail

    def internal_thread(self) -> None:
        """Team-only mail, sometimes a colleague forwarding a customer's message."""
        rng = self.rng
        team = [self.owner] + [self.dir.colleague() for _ in range(rng.randint(1, 3))]
        team = list({p.email: p for p in team}.values())
        if len(team) < 2:
            team.append(self.dir.colleagues[0] if self.dir.colleagues[0] is not team[0]
                        else self.dir.colleagues[1])
        company = self.dir.companies[self.dir.company_zipf.pick(rng, len(self.dir.companies))] \
            if self.dir.companies else None
        context = self.context(company)
        subject = rng.choice(("Pipeline review", "{company} deal", "Price list 2027",
                              "Demo unit booking", "Quick question", "Q1 forecast",
                              "{company} - site visit {city}")).format_map(context)
        start = rng.randrange(len(team))
        plan = [(team[(start + i) % len(team)], False)
                for i in range(self.thread_length("internal"))]
        thread = Thread(subject=subject, context=context)
        if rng.random() < 0.15 and self.dir.people:
            thread.subject = self.forward(thread, plan[0][0], context)
        self.run_conversation(thread, plan, team)

    def forward(self, thread: Thread, sender: Person, context: dict[str, str]) -> str:
        """Seed a thread with a forwarded external message (people only in the body)."""
        outsider = self.dir.person(self.dir.people_zipf.pick(self.rng, self.dir.people))
        thread.last_epoch = self.start_epoch(offset_for(outsider.tz, outsider.southern,
                                                        REF_EPOCH - 180 * DAY))
        when = rfc5322_date(thread.last_epoch,
                            offset_for(outsider.tz, outsider.southern, thread.last_epoch))
        original = self.compose(outsider, sender, context, reply=False)
        subject = self.subject(outsider.lang, context)
        shown = outsider.display or outsider.email
        thread.last_lines = ["---------- Forwarded message ---------",
                             f"From: {shown} <{outsider.email}>", f"Date: {when}",
                             f"Subject: {subject}", f"To: {sender.display} <{sender.email}>",
                             "", *original]
        return "Fwd: " + subject

    def role_thread(self) -> None:
        """Mail from or to a shared mailbox (info@, support@, accounts@ ...)."""
        rng, directory = self.rng, self.dir
        company = directory.companies[directory.pick_company(self.progress)]
        local = rng.choice(data.ROLE_LOCALS)
        role = Person(first=f"{company.short} team", last="", first_ascii=company.short,
                      last_ascii="",
                      email=f"{local}@{company.domain}",
                      display=rng.choice((f"{company.short} {local.capitalize()}",
                                          company.name, "")),
                      lang="en", client=rng.choice(("webmail", "outlook")),
                      tz=TIMEZONES[company.locale][0], southern=company.locale == "au",
                      signature=(f"The {company.short} team", company.website), company=company)
        context = self.context(company)
        ticket = rng.randint(10000, 999999)
        subject = rng.choice(data.ROLE_SUBJECTS).replace("{n}", str(ticket)).format_map(context)
        starter = rng.random() < 0.4
        plan = [((self.owner if (i % 2 == 0) == starter else role), False)
                for i in range(self.thread_length("role"))]
        self.run_conversation(Thread(subject=subject, context=context), plan, [self.owner, role])

    def bulk_message(self) -> None:
        """A newsletter, notification or receipt sent through an ESP."""
        rng = self.rng
        brand, domain, local, kind = data.BULK_SENDERS[
            zipf_small(rng, len(data.BULK_SENDERS))]
        esp, return_tpl, id_host = rng.choice(data.ESPS)
        fields = {"hex": f"{rng.getrandbits(64):016x}", "hex4": f"{rng.getrandbits(16):04x}",
                  "num": str(rng.randint(100000, 9999999)), "num1": str(rng.randint(1, 20)),
                  "num2": str(rng.randint(11, 99)), "num3": str(rng.randint(100, 999)),
                  "num4": str(rng.randint(1000, 9999)), "domain": domain,
                  "rcpt": self.owner.email.replace("@", "=")}
        epoch = self.start_epoch(0, business=False)
        subject = rng.choice(data.BULK_SUBJECTS[kind]).replace("{brand}", brand).replace(
            "{n}", str(rng.randint(100, 99999)))
        sender_name = rng.choice((brand, f"{brand} Team", f"The {brand} Newsletter"
                                  if kind == "newsletter" else f"{brand} Notifications"))
        lines, page = bulk_content(rng, brand, domain, subject)
        draft = Draft(sender=(sender_name, f"{local}@{domain}"), client="bulk", epoch=epoch,
                      offset=0, subject=subject,
                      message_id="<" + fields["hex"] + "." + fields["num"] + "@" +
                      id_host.format_map(fields) + ">",
                      to=[("", self.owner.email)], lines=lines, html=page,
                      shape="alt" if rng.random() < 0.8 else "html",
                      headers=self.bulk_headers(kind, domain,
                                                return_path=return_tpl.format_map(fields),
                                                esp=esp, fields=fields, epoch=epoch))
        self.emit(draft, 0, sent=False)

    def bulk_headers(self, kind: str, domain: str, *, return_path: str, esp: str,
                     fields: dict[str, str], epoch: int) -> list[str]:
        """The headers that tell bulk mail apart: List-*, Precedence, Auto-Submitted."""
        rng = self.rng
        headers = [f"Return-Path: <{return_path}>", f"Delivered-To: {self.owner.email}",
                   f"Received: from {esp}.{domain} ({rng.choice(data.DOC_NETS)}."
                   f"{rng.randint(1, 254)}){CRLF}\tby mx.{self.owner.email.split('@')[1]} "
                   f"(Postfix) with ESMTPS; {rfc5322_date(epoch + 4, 0)}"]
        if kind != "notification" or rng.random() < 0.75:
            headers.append(f"List-Unsubscribe: <mailto:unsubscribe-{fields['hex']}@{domain}>,"
                           f"{CRLF} <https://{domain}/u/{fields['hex']}?e={fields['rcpt']}>")
            if rng.random() < 0.6:
                headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        if kind == "newsletter":
            headers.append(f"List-Id: {domain.split('.', 1)[0]} news <news.{domain}>")
        if rng.random() < 0.7:
            headers.append(f"Precedence: {'bulk' if rng.random() < 0.85 else 'list'}")
        if kind == "notification":
            headers.append("Auto-Submitted: auto-generated")
        headers.append(f"Feedback-ID: {fields['num']}:{kind}:{esp}")
        return headers


def zipf_small(rng: random.Random, n: int) -> int:
    """A Zipf draw over a small fixed list (no table needed)."""
    weights = [1.0 / (i + 1) for i in range(n)]
    return weighted(rng, weights)


def bulk_content(rng: random.Random, brand: str, domain: str,
                 subject: str) -> tuple[list[str], str]:
    """Plain and HTML versions of a newsletter with tracking links and a footer."""
    track = f"https://click.{domain}/ls/click?upn={rng.getrandbits(96):024x}"
    blocks = []
    lines = [subject, ""]
    slots = {"qty": "3", "product": rng.choice(data.PRODUCTS), "weekday": "Tuesday",
             "ref": "", "city": "Chicago", "company": brand, "date": "June", "us": brand,
             "amount": "$1,000", "time": "10:00"}
    for _ in range(rng.randint(2, 6)):
        headline = rng.choice(data.EN_SUBJECTS).format_map(slots)
        text = " ".join(rng.choices(data.EN_SENTENCES, k=3)).format_map(slots)
        lines += [headline, text, f"Read more: {track}", ""]
        blocks.append(f'<tr><td style="padding:16px;font-family:Arial,sans-serif">'
                      f'<h2 style="margin:0 0 8px">{html.escape(headline)}</h2>'
                      f'<p style="margin:0;line-height:1.5">{html.escape(text)}</p>'
                      f'<a href="{track}" style="color:#0a66c2">Read more</a></td></tr>')
    footer = (f"You receive this email because you signed up at {domain}. "
              f"{brand}, 100 Market Street, Suite 300, Springfield.")
    lines += [footer, f"Unsubscribe: https://{domain}/u/{rng.getrandbits(64):016x}"]
    page = CRLF.join([
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + html.escape(subject)
        + "</title></head><body style=\"margin:0;background:#f4f4f4\">",
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0">',
        f'<tr><td><img src="https://cdn.{domain}/img/logo.png" alt="{html.escape(brand)}" '
        'width="120"></td></tr>', *blocks,
        f'<tr><td style="font-size:11px;color:#888">{html.escape(footer)} '
        f'<a href="https://{domain}/u/{rng.getrandbits(64):016x}">Unsubscribe</a></td></tr>',
        f'</table><img src="https://open.{domain}/o/{rng.getrandbits(64):016x}.gif" width="1" '
        'height="1" alt=""></body></html>'])
    return lines, page


def thread_kind_weights() -> tuple[list[str], list[float]]:
    """Per-thread probabilities that yield the wanted per-message shares."""
    shares = {"external": 1.0 - sum(MESSAGE_SHARES.values()) - MALFORMED_SHARE,
              **MESSAGE_SHARES}
    kinds = list(shares)
    weights = []
    for kind in kinds:
        lengths = THREAD_LENGTHS[kind]
        mean = sum((i + 1) * w for i, w in enumerate(lengths)) / sum(lengths)
        weights.append(shares[kind] / mean)
    return kinds, weights


# --------------------------------------------------------------------------- CLI


@dataclass(frozen=True, slots=True)
class Summary:
    """What a run produced, for the caller and the closing report."""

    messages: int
    people: int
    companies: int
    attachments: int
    bytes: int
    seconds: float


def generate(out: Path, messages: int, seed: int, owner: str = "alice@acme-robotics.com",
             attachment_share: float = 0.10) -> Summary:
    """Generate the mailbox into ``out`` (created if needed) and summarise it."""
    started = time.perf_counter()
    generator = Generator(out, messages, seed, owner, attachment_share)
    generator.run()
    return Summary(messages=generator.writer.seq, people=generator.dir.people,
                   companies=generator.dir.companies_used(),
                   attachments=generator.attachments, bytes=generator.writer.bytes,
                   seconds=time.perf_counter() - started)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command line as documented at the top of this file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--owner", default="alice@acme-robotics.com")
    parser.add_argument("--attachment-share", type=float, default=0.10)
    args = parser.parse_args(argv)
    if args.messages < 1 or not 0 <= args.attachment_share <= 1 or "@" not in args.owner:
        parser.error("need --messages >= 1, 0 <= --attachment-share <= 1, an owner address")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Generate and print the summary lines."""
    args = parse_args(argv)
    summary = generate(args.out_dir, args.messages, args.seed, args.owner, args.attachment_share)
    print(f"messages     {summary.messages}")
    print(f"people       {summary.people}")
    print(f"companies    {summary.companies}")
    print(f"attachments  {summary.attachments}")
    print(f"bytes        {summary.bytes} ({summary.bytes / 1e6:.1f} MB)")
    print(f"seconds      {summary.seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
