"""Person-name helpers shared by contact enrichment.

Names reach us from three places of very different quality: the ``From`` display name
(often "Last, First", shouted in capitals, or decorated by mailing lists), a signature
line, and as a last resort the address's local part. These helpers turn each into one
canonical "Given Family" string, so contacts created from different messages agree.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from nameparser import HumanName
from nameparser.config import CONSTANTS

from enrichment.signature_words import EXTRA_POSTNOMINALS


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_NAME = re.compile(
    r"^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
    r"(?: [\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)?$"
)
# Two-character Chinese surnames; without them "欧阳晨" would split as 欧 + 阳晨.
_COMPOUND_SURNAMES = _words(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 端木 澹台 轩辕"
)
# Second halves of common compound given names ("María José", "Juan Carlos").
_SECOND_GIVEN = _words(
    """
    josé jose carlos luis antonio ángel angel manuel pablo maría maria eugenia fernanda
    luisa teresa elena isabel jesús jesus pierre marie anne ann paul claude françois
    francois louis lou beth
    """
)
_WRAPPER = " \"'`“”‘’«»<>"
# Mailing-list gateways write a lower-case "via"; a capitalised "Via" may be a surname.
_VIA = re.compile(r"(?:\((?i:via) [^)]*\)|\bvia\s\S.*)$")
_TAG = re.compile(r"\[(?:external|ext|extern|externe?|spam|bulk)\]", re.IGNORECASE)
# Outlook copies the address into the name it quotes: "Doe, John [mailto:jd@acme.example]".
_MAILTO = re.compile(r"\s*[\[<(]mailto:[^\]>)]*[\]>)]", re.IGNORECASE)
_TRAILING_PAREN = re.compile(r"[(（][^()（）]*[)）]$")
_SUFFIXES = frozenset(CONSTANTS.suffix_acronyms) | EXTRA_POSTNOMINALS
_GENERATIONAL = frozenset(CONSTANTS.suffix_not_acronyms)
_SPACES = re.compile(r"\s+")
# Longer strings are not names; nameparser is slow on long input.
_MAX_NAME = 200
_PARTICLES = _words("van von der den de del della di da dos das du le la ter ten")
_LOCAL_SPLIT = re.compile(r"[._-]")
_ROLE_WORDS = _words(
    """
    info sales support admin contact office team hello noreply no reply donotreply do not
    billing accounts account mail postmaster webmaster service services help marketing news
    newsletter notifications notification hr jobs careers press invoice invoices orders
    order enquiries inquiries reception finance legal security alerts mailer daemon
    """
)


def _is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _split_cjk(name: str) -> tuple[str | None, str | None]:
    """CJK names are family-first; a space, when present, marks the boundary exactly."""
    if " " in name:
        family, given = name.split(" ", 1)
        return given or None, family or None
    if len(name) < 2:
        return name or None, None
    if name[:2] in _COMPOUND_SURNAMES and len(name) > 2:
        return name[2:], name[:2]
    cut = 2 if len(name) >= 4 else 1
    return name[cut:], name[:cut]


def _is_initial(token: str) -> bool:
    return len(token.rstrip(".")) == 1


_SIMPLE = re.compile(r"^([^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*) ([^\W\d_]+(?:[-'’][^\W\d_]+)*)$")
_HONORIFICS = _words("mr mrs ms miss mx dr prof sir dame herr frau mme mlle m sr sra")


def _simple_split(name: str) -> tuple[str, str] | None:
    """The common case, "Given Family" in two capitalised words, without the slow
    general parser; anything else (titles, particles, commas, initials) is not simple."""
    match = _SIMPLE.match(name)
    if match is None:
        return None
    given, family = match.groups()
    if not (given[0].isupper() and family[0].isupper()) or len(given) < 2 or len(family) < 2:
        return None
    if given.lower().rstrip(".") in _HONORIFICS or given.isupper() or family.isupper():
        return None
    return given, family


@lru_cache(maxsize=65536)
def split_name(full: str) -> tuple[str | None, str | None]:
    """Return ``(given, family)``; middle initials are dropped, particles kept with the family.

    Three-word Latin names keep the last two words as the family name (Spanish and
    Portuguese double surnames, "de Vries") unless the middle word is a common given
    name, because that reading is right far more often than a spelled-out middle name.
    """
    name = _SPACES.sub(" ", full or "").strip()
    if not name or len(name) > _MAX_NAME:
        return None, None
    if _CJK_NAME.match(name):
        return _split_cjk(name)
    simple = _simple_split(name)
    if simple is not None:
        return simple
    parsed = HumanName(name)
    first, middle, last = parsed.first, parsed.middle, parsed.last
    if not first and not last:
        return None, None
    if not last:
        return first or None, None
    middles = [m for m in middle.split() if not _is_initial(m)]
    if middles and middles[0].lower() in _SECOND_GIVEN:
        first = f"{first} {middles.pop(0)}"
    family = " ".join([*middles, last])
    return first or None, family or None


def is_postnominal(word: str) -> bool:
    """ "CPA", "PhD", "Ph.D.", "Jr." - an acronym-cased professional or generational suffix."""
    bare = word.replace(".", "")
    if bare.lower() in _GENERATIONAL:
        return True
    return bare.lower() in _SUFFIXES and sum(ch.isupper() for ch in bare) >= 2


def _title_case(name: str) -> str:
    return " ".join(word.title() if word.isupper() else word for word in name.split(" "))


def _reorder_last_first(name: str) -> str:
    """ "Doe, John" -> "John Doe"; "John Doe, PhD" only loses the post-nominal."""
    if name.count(",") != 1:
        return name
    head, tail = (part.strip() for part in name.split(","))
    if not head or not tail:
        return head or tail
    if is_postnominal(tail):
        return head
    if _is_cjk(head) and _is_cjk(tail):
        return head + tail
    return f"{tail} {head}"


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def umlauts_written_out(name: str) -> str:
    """Müller as German addresses spell it: ``mueller`` (the name case-folded)."""
    return name.casefold().translate(_UMLAUTS)


def _spellings(text: str) -> set[str]:
    """How an address may spell a name: lower-case ASCII letters and digits, accents
    dropped ("García-López": garcialopez) or, for umlauts, written out (Müller:
    mueller)."""
    return {"".join(c for c in unicodedata.normalize("NFKD", variant)
                    if c.isascii() and c.isalnum())
            for variant in (text.casefold(), umlauts_written_out(text))}


def _capitals(word: str) -> bool:
    """An all-capitals word of letters ("FORD", "GARCÍA-LÓPEZ", "O'BRIEN")."""
    letters = word.replace("-", "").replace("'", "").replace("\u2019", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper()


def _surname_first(name: str, email: str) -> str:
    """ "FORD Matthew" <ford.matthew@...> -> "Matthew Ford": many address books in
    France, Japan and large companies write the family name first and in capitals.
    Read that way only when the address holds the capitalised words (``mford@``,
    ``ford.matthew@``) or is the other words alone (``matthew@``, a first-name
    mailbox), and not the domain (a brand before a product: "SAP Concur" at sap.com);
    three capital letters at least ("JP Morgan" is an acronym before a name); one or
    two words written as names after them, none of them a team's ("IBM Support")."""
    words = name.split(" ")
    head = 0
    while head < len(words) and head < 3 and _capitals(words[head]):
        head += 1
    rest = words[head:]
    if not head or not 1 <= len(rest) <= 2:
        return name
    if not all(w[:1].isupper() and not w.isupper() and w.replace("-", "").isalpha()
               and w.lower() not in _ROLE_WORDS for w in rest):
        return name
    mailbox, _, domain = email.partition("@")
    local, family = _spellings(mailbox), _spellings("".join(words[:head]))
    if sum(map(len, words[:head])) < 3 or any(f in domain.lower() for f in family):
        return name  # the capitals name the sender's own domain: a brand ("SAP Concur")
    if not (any(f in x for f in family for x in local) or local & _spellings("".join(rest))):
        return name
    return " ".join([*rest, *(word.title() for word in words[:head])])


@lru_cache(maxsize=65536)
def clean_display_name(name: str, email: str) -> str | None:
    """Turn a raw ``From`` display name into "Given Family", or None if it names no one.

    Mailing lists and gateways decorate names ("(via Group)", "[EXTERNAL]", an Outlook
    "[mailto:...]"), and many clients send the address itself as the name; neither must
    become a contact name.
    Cached: signature search and field reading both ask it of each message's sender, and
    senders write again.
    """
    text = name or ""
    if "mailto:" in text.lower():
        text = _MAILTO.sub(" ", text)
    text = _SPACES.sub(" ", _TAG.sub(" ", text)).strip(_WRAPPER)
    text = _VIA.sub("", text).rstrip()
    text = _TRAILING_PAREN.sub("", text).rstrip()
    text = text.strip(_WRAPPER + ",;")
    if not text or "@" in text or text.lower() == (email or "").strip().lower():
        return None
    text = _reorder_last_first(text)
    if text.isupper():
        text = _title_case(text)
    elif " " in text:
        text = _surname_first(text, email or "")
    text = _SPACES.sub(" ", text).strip()
    return text or None


@lru_cache(maxsize=65536)
def name_from_local_part(email: str) -> str | None:
    """Guess "John Doe" from "john.doe@..." only when the address clearly spells a name.

    Anything ambiguous ("jdoe", "j.doe", role addresses, digits) gives None: a wrong
    name is worse for a CRM than no name.
    """
    local = (email or "").split("@", 1)[0].split("+", 1)[0].strip()
    parts = [p for p in _LOCAL_SPLIT.split(local) if p]
    if not 2 <= len(parts) <= 3 or len(parts) != len(_LOCAL_SPLIT.split(local)):
        return None
    if any(len(p) < 2 or not p.isalpha() or p.lower() in _ROLE_WORDS for p in parts):
        return None
    words = [p.capitalize() for p in parts]
    words[1:-1] = [w.lower() if w.lower() in _PARTICLES else w for w in words[1:-1]]
    return " ".join(words)
