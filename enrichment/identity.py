"""Who is who: the keys and the evidence that one person is behind several addresses,
and one company behind several domains. Pure functions; the store applies them.

Matching is by *keys*: each contact and account is indexed under a few short values
(a canonical address, a LinkedIn profile, a mobile number, a name at an account, a
company's brand label), and only records sharing a key are ever compared, so a new
message costs the same whatever the size of the CRM. A key many records share (a
switchboard number, a common name at a big account) identifies nobody and is
ignored (:data:`CROWDED`).

Two records sharing keys are scored by noisy-or over the *kinds* of evidence, each
with its weight (:data:`WEIGHTS`): independent signals add up, the same signal twice
does not. A pair scoring :data:`AUTO` or more is merged at once; from :data:`REVIEW`
it waits for a person (``syncd merges pending``). Names that clearly belong to two
people veto an automatic merge whatever else agrees.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from enrichment.people import split_name, umlauts_written_out

_ON_BEHALF = re.compile(r"\s+(?:on behalf of|im auftrag von|de la part de|via)\s+",
                        re.IGNORECASE)
_ACTING_FOR = re.compile(r"\s+(?:on behalf of|im auftrag von|de la part de|en nombre de)\s+",
                         re.IGNORECASE)

GMAIL = frozenset({"gmail.com", "googlemail.com"})
AUTO = 0.9
REVIEW = 0.5
CROWDED = 25
"""Records one key value may name before it stops identifying anyone."""

WEIGHTS: Mapping[str, float] = {
    "by_hand": 1.0,
    "same_address": 1.0,
    "configured": 1.0,
    "linkedin": 0.95,
    "listed_address": 0.9,
    "same_thread": 0.85,
    "mobile": 0.9,
    "name_at_account": 0.8,
    "nickname_at_account": 0.7,
    "address_fits_name": 0.5,
    "same_name": 0.3,
    "lone_name": 0.7,
    "rare_name": 0.7,
    "succession": 0.6,
    "work_phone": 0.4,
    "website": 0.9,
    "brand_and_company": 0.95,
    "brand": 0.5,
    "company_name": 0.6,
    "same_mailbox": 0.8,
}
"""How much each kind of evidence says on its own (a probability-like weight).

``rare_name`` only ever joins ``lone_name`` (a name one free-mail contact and one
contact at a company bear, and nobody else): a name the CRM's own counts make rare
(:func:`expected_namesakes` at most :data:`RARE_NAME`) is one a stranger writing from
free mail would bear by chance about once in five hundred such names, so the two
together (0.91) merge, where a common name alone waits for a person. Should the
namesake turn up after all, the merge is withdrawn (``syncd.store.identity``).

``same_mailbox`` (accounts) is one person's mailbox name, their full name spelled out
(``john.doe``), at two domains under one brand: a company with several domains gives
its people the same mailbox at each, where a separate company (a subsidiary at a
look-alike domain) would need a namesake of the very same spelling. With the brand
(0.5) it merges; different company names signed at the two still hold it back."""
RARE_NAME = 0.002
"""Expected namesakes up to which a name nobody else in the CRM bears identifies one
person. Given and family names are not quite independent (Takuya goes with Sakamoto
more often than with Smith), so the product of the parts' shares runs low for names of
a group the CRM holds few of: the bound is kept this far down for that (at 0.005 a
generated mailbox of 3,000 people merged a Japanese free-mail namesake)."""


@dataclass(frozen=True)
class IdentityRules:
    """The data and policy matching reads: nicknames, providers with ``+tags``, domain
    groups the user declared one company, and the auto-merge threshold."""

    nicknames: Mapping[str, frozenset[str]]
    subaddress_domains: frozenset[str]
    team_words: frozenset[str] = frozenset()
    """Words that name a team, not a person (the role list: sales, purchasing, ...)."""
    same_company: tuple[frozenset[str], ...] = ()
    auto_merge: float = AUTO
    case_sensitive: frozenset[str] = frozenset()
    """Domains whose local parts keep their case."""

    def canonical(self, email: str) -> str:
        return canonical_address(email, self.subaddress_domains, self.case_sensitive)

    def configured_group(self, domain: str) -> int | None:
        """Which declared company group the domain is in, if any."""
        return next((i for i, group in enumerate(self.same_company) if domain in group), None)


@dataclass(frozen=True)
class Evidence:
    """One reason to think two records are one: its kind and what matched."""

    kind: str
    detail: str

    @property
    def weight(self) -> float:
        return WEIGHTS[self.kind]


def score(evidence: Iterable[Evidence]) -> float:
    """Noisy-or over the kinds of evidence (each kind counted once)."""
    kinds = {e.kind for e in evidence}
    miss = 1.0
    for kind in kinds:
        miss *= 1.0 - WEIGHTS[kind]
    return round(1.0 - miss, 4)


def parse_nicknames(text: str) -> dict[str, frozenset[str]]:
    """``robert: bob, rob`` lines -> every name's set of formal roots."""
    roots: dict[str, set[str]] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        formal, _, short = line.partition(":")
        root = fold(formal)
        for name in [formal, *short.split(",")]:
            if fold(name):
                roots.setdefault(fold(name), set()).add(root)
    return {name: frozenset(found) for name, found in roots.items()}


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case, accents and punctuation dropped: ``José-Luis`` -> ``joseluis``.
    Cached: every batch folds the same names again for keys, vetoes and team checks."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


@lru_cache(maxsize=131072)
def canonical_address(email: str, subaddress_domains: frozenset[str],
                      case_sensitive: frozenset[str] = frozenset()) -> str:
    """The mailbox an address reaches: Gmail without dots and ``+tag`` (googlemail.com
    is gmail.com), a ``+tag`` dropped where the provider delivers it to the same
    mailbox, an international domain in its ASCII (punycode) form, the local part
    case-folded except at ``case_sensitive`` domains."""
    local, _, domain = email.rpartition("@")
    domain = domain.casefold()
    if domain not in case_sensitive:
        local = local.casefold()
    with contextlib.suppress(UnicodeError):  # not IDNA-encodable: kept as written
        domain = domain.encode("idna").decode("ascii")
    if domain in GMAIL:
        return f"{local.partition('+')[0].replace('.', '')}@gmail.com"
    if domain in subaddress_domains and "+" in local.lstrip("+"):
        local = local.partition("+")[0] or local
    return f"{local}@{domain}"


def given_roots(given: str, nicknames: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The formal names a given name may stand for, itself included."""
    words = given.split(maxsplit=1)
    name = fold(words[0]) if words else ""
    return frozenset({name} | nicknames.get(name, frozenset())) if name else frozenset()


def name_keys(full_name: str, nicknames: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """``family|root`` for each formal root of the given name; none for a name without
    a family name or whose given name is only an initial (``J. Doe`` names many)."""
    given, family = split_name(full_name)
    if not given or not family or len(fold(given.split()[0])) < 2:
        return frozenset()
    last = fold(family)
    return frozenset(f"{last}|{root}" for root in given_roots(given, nicknames)) \
        if last else frozenset()


def name_parts(key: str) -> tuple[str, str]:
    """(given root, family name) of a :func:`name_keys` key ``family|root``."""
    family, _, root = key.partition("|")
    return root, family


def expected_namesakes(given: int, family: int, population: int) -> float:
    """How many people the CRM would hold under one full name by chance, from how many
    contacts bear its given name and its family name among ``population``: given and
    family names are chosen about independently, so the full name's share is the
    product of its parts' shares, which the CRM measures on the people it already
    knows (a Smith is common, a Kostolzin is not; Takuya is common only in a CRM full
    of Japanese names). The two contacts being judged count as one person. With few
    contacts known every name looks common, so nothing merges early on a name."""
    if population <= 0:
        return float("inf")
    return max(given - 1, 1) * max(family - 1, 1) / population


def names_agree(a: str | None, b: str | None,
                nicknames: Mapping[str, frozenset[str]]) -> bool | None:
    """True when two full names can be one person's (the same family name, given names
    equal, nickname-equivalent or one an initial of the other), False when both are
    complete and cannot, None when either says too little."""
    if not a or not b:
        return None
    (given_a, family_a), (given_b, family_b) = split_name(a), split_name(b)
    if not (given_a and family_a and given_b and family_b):
        return None
    last_a, last_b = fold(family_a), fold(family_b)
    if min(len(last_a), len(last_b)) == 1:  # "Bob S." signs with an initial
        if last_a[:1] != last_b[:1]:
            return False
    elif not _alike(last_a, last_b, given=False):
        return False
    first_a, first_b = fold(given_a.split()[0]), fold(given_b.split()[0])
    if not first_a or not first_b:
        return None
    if len(first_a) == 1 or len(first_b) == 1:
        initial, full = (first_a, first_b) if len(first_a) == 1 else (first_b, first_a)
        return initial[0] in _initials(full, nicknames)
    return _alike(first_a, first_b) or bool(given_roots(first_a, nicknames) &
                                            given_roots(first_b, nicknames))


def _alike(a: str, b: str, *, given: bool = True) -> bool:
    """Equal, or one a typo of the other (``Davd``, ``Dvaid``, ``Mitchel``): one slip
    (a letter missing, extra, wrong or swapped with its neighbour), two from eight
    letters up; never in names of three letters (Jon, Jan), nor, in given names, in
    the last letter alone, where they differ by gender (Maria, Mario; Daniel,
    Daniela)."""
    if a == b:
        return True
    shorter = min(len(a), len(b))
    if shorter < 4 or (given and (a[:-1] == b[:-1] or a == b[:-1] or b == a[:-1])):
        return False
    return OSA.distance(a, b) <= (2 if shorter >= 8 else 1)


def _initials(first: str, nicknames: Mapping[str, frozenset[str]]) -> set[str]:
    """The initials a person of this given name may sign with (B. for Robert: Bob)."""
    roots = given_roots(first, nicknames)
    return {first[0]} | {name[0] for name, formal in nicknames.items() if formal & roots}


def named_mailbox(email: str, full_name: str | None,
                  nicknames: Mapping[str, frozenset[str]]) -> bool:
    """Whether the local part spells the person's full name (``john.doe``, ``jdoe``,
    ``doe.john``), not a given or family name alone (``john@`` names many people)."""
    if not address_fits_name(email, full_name, nicknames) or not full_name:
        return False
    given, family = split_name(full_name)
    local = fold(email.rpartition("@")[0])
    return local not in {fold(given.split()[0]) if given else "", fold(family)}


_NUMBERED = re.compile(r"\d+$")


def numbered_apart(email_a: str, email_b: str) -> bool:
    """Whether two addresses at one domain differ only by a number ending a local part
    (``john.smith@`` and ``john.smith2@``, ``jsmith2@`` and ``jsmith3@``): how a mail
    system gives the second person of one name an address of their own. Two people,
    however alike their names."""
    local_a, _, domain_a = email_a.casefold().rpartition("@")
    local_b, _, domain_b = email_b.casefold().rpartition("@")
    if domain_a != domain_b or local_a == local_b:
        return False
    bare_a, bare_b = _NUMBERED.sub("", local_a), _NUMBERED.sub("", local_b)
    return bool(bare_a) and bare_a == bare_b


def numbered_form(email: str, full_name: str | None,
                  nicknames: Mapping[str, frozenset[str]]) -> bool:
    """Whether an address is the person's name with a number after it (``john.smith2@``,
    ``jsmith3@``): how a mail system makes an address for the second person of a name
    there. Said of a work address, it means the name is two people's at that company."""
    local, _, domain = email.rpartition("@")
    bare = _NUMBERED.sub("", local)
    return bool(full_name) and bare != local and bool(bare) and \
        address_fits_name(f"{bare}@{domain}", full_name, nicknames)


def acting_for(display_name: str | None) -> tuple[str, str] | None:
    """(agent, principal) of a sender named "A on behalf of B": an assistant writing
    for an executive, whose signature block is usually the executive's."""
    parts = _ACTING_FOR.split(display_name or "", maxsplit=1)
    return (parts[0].strip(), parts[1].strip()) if len(parts) == 2 else None


def address_fits_name(email: str, full_name: str | None,
                      nicknames: Mapping[str, frozenset[str]] | None = None) -> bool:
    """Whether the local part is made of the name (``john.doe``, ``jdoe``, ``j.doe``,
    ``doe.john``, ``johnd``, ``john.m.doe``, ``john``; ``bob.smith`` for Robert Smith;
    ``joerg.mueller`` for Jörg Müller, as German addresses write umlauts): a personal
    address, not a mailbox's."""
    if not full_name:
        return False
    given, family = split_name(full_name)
    if not given or not family:
        return False
    local = fold(email.rpartition("@")[0].partition("+")[0])
    if not local:
        return False
    first, last = given.split()[0], family.split()[-1]
    return any(_made_of(local, fold(a), fold(b), nicknames)
               for a, b in {(first, last), (umlauts_written_out(first),
                                            umlauts_written_out(last))})


def spellings(word: str) -> set[str]:
    """A word folded as written and with its umlauts written out (Müller: muller,
    mueller): the forms an address may spell it in."""
    return {fold(word), fold(umlauts_written_out(word))}


def _made_of(local: str, first: str, last: str,
             nicknames: Mapping[str, frozenset[str]] | None) -> bool:
    """:func:`address_fits_name` for one spelling of the name, folded."""
    if not first or not last:
        return False
    if local in {first[0] + last, last + first[0], first + last[0], last, first}:
        return True
    rest = local.removesuffix(last) if local.endswith(last) else \
        local.removeprefix(last) if local.startswith(last) else None
    if not rest:
        return False
    return rest.startswith(first) or rest.endswith(first) or bool(
        nicknames and given_roots(rest, nicknames) & given_roots(first, nicknames))


def shared_mailbox(names: Iterable[str], nicknames: Mapping[str, frozenset[str]],
                   team_words: frozenset[str] = frozenset()) -> bool:
    """A team's mailbox, not a person, which never merges into one: its name says so
    (a word of the role list: "Acme Purchasing Team", "Hikari Kogyo Operations"), or it
    signed with the names of three or more different people. Typos, nicknames, "SMITH
    John" and "A on behalf of B" (A's name) are one person's."""
    people: list[list[str]] = []
    for written in names:
        name = _ON_BEHALF.split(written, maxsplit=1)[0]
        if team_words and any(fold(word) in team_words for word in name.split()[1:]):
            return True
        same = next((spellings for spellings in people
                     if any(may_be_one(name, other, nicknames) for other in spellings)),
                    None)
        if same is None:
            people.append([name])
        else:
            same.append(name)
    return len(people) >= 3


def may_be_one(name_a: str, name_b: str, nicknames: Mapping[str, frozenset[str]]) -> bool:
    """Whether two written names can be one person's, in either word order."""
    swapped = " ".join(reversed(name_a.split()))
    return any(names_agree(x, name_b, nicknames) is not False for x in (name_a, swapped))


_LEGAL = re.compile(
    r"\b(incorporated|inc|corporation|corp|company|co|llc|llp|ltd|limited|plc|gmbh|ag|"
    r"kg|sa|sas|sarl|srl|spa|bv|nv|oy|ab|as|pty|pte|kk)\b\.?", re.IGNORECASE)


def company_key(name: str) -> str:
    """A company name without case, accents, punctuation and legal form: ``ACME
    Corp.``, ``Acme Corporation`` and ``Acme, Inc.`` are all ``acme``."""
    return fold(_LEGAL.sub(" ", name))
