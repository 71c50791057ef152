"""Phone numbers in a signature, as E.164 with their kind (work, mobile, fax, other).

phonenumbers finds and normalises the numbers; this module only decides two things it
cannot know. The *region* for numbers written in national format ("030 90182034"):
the country the signature's address names, else the sender's country-code domain,
else the country of a number the signature writes with "+", else the mailbox owner's
default (else the US). The *kind*: the label written before the number ("Tel:", "M", "Fax") or,
failing that, right after it ("(713) 555-0101 (fax)", "555-0101 Office"); an unlabeled
number is mobile when it lies in a mobile range of its numbering plan, else work.

A labelled number only has to be *possible* (right length for its country): numbering
metadata lags behind new and reserved ranges, and a label is evidence enough. An
unlabeled one must be *valid*, so order numbers and register ids are not taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import phonenumbers

from enrichment.line_cache import per_line
from enrichment.signature_words import COUNTRY_NAMES, GENERIC_CCTLDS, PHONE_LABELS

# Numbers from many regions need many regions' metadata patterns, more than ``re``'s own
# cache keeps beside everyone else's: without this phonenumbers compiled some of them
# again and again (43 compilations in each pass over the corpus). Recent releases keep
# them once asked; earlier ones have no such switch and keep recompiling.
if hasattr(phonenumbers, "enable_pattern_cache"):
    phonenumbers.enable_pattern_cache()

_LABEL_WINDOW = 30
_LATIN = re.compile(r"[a-zà-ÿ-]+")


@dataclass(frozen=True)
class Phone:
    """A number in E.164 and what its label says it is (work, mobile, fax, other)."""

    e164: str
    kind: str


def _label_pattern() -> str:
    """One named group per kind; Latin labels only count as whole words ("T", "Fax")."""
    groups = []
    for kind, labels in PHONE_LABELS.items():
        latin = [w for w in labels.split() if _LATIN.fullmatch(w)]
        others = [re.escape(w) for w in labels.split() if not _LATIN.fullmatch(w)]
        word = rf"(?<![^\W\d_])(?:{'|'.join(map(re.escape, latin))})(?![^\W\d_])"
        groups.append(f"(?P<{kind}>{'|'.join([word, *others])})")
    return "|".join(groups)


_LABEL = re.compile(_label_pattern(), re.IGNORECASE)
# A label right after a number that ends the line or its segment ("555-0101 (fax)",
# "555-0101 Office |"); one followed by more text ("Fax: 555-0102") opens the next number.
_TRAILING = re.compile(
    rf"^\s*[(\[]?\s*(?:{_LABEL.pattern})\.?\s*[)\]]?(?=\s*(?:$|[|│·•,;/*]))", re.IGNORECASE
)
_MIN_DIGITS = 7
_NO_DIGITS = str.maketrans("", "", "0123456789")
_HINT = re.compile(r"\d[\d\s().\-/]{5,}\d")
_INTERNATIONAL = re.compile(r"\+\s?\d[\d\s().\-/]{6,}\d")


@per_line
def has_phone(line: str) -> bool:
    """A run of at least seven digits in phone punctuation (cheap pre-check for the matcher).

    An ASCII line with fewer than seven digits in all holds no such run: counting them
    (``translate`` runs in C) is cheaper than the search, and most lines are that."""
    if line.isascii() and len(line) - len(line.translate(_NO_DIGITS)) < _MIN_DIGITS:
        return False
    return any(sum(map(str.isdigit, m.group())) >= _MIN_DIGITS for m in _HINT.finditer(line))


_COUNTRIES = {name: region for region, names in COUNTRY_NAMES.items() for name in names.split("|")}
_ADDRESS_PARTS = re.compile(r"[,|·•]")


def _address_region(lines: Iterable[str]) -> str | None:
    """The country an address line ends with ("10115 Berlin, Germany" -> DE)."""
    for line in lines:
        tail = _ADDRESS_PARTS.split(line)[-1].strip(" .").casefold()
        if tail in _COUNTRIES:
            return _COUNTRIES[tail]
    return None


def _tld_region(sender_email: str) -> str | None:
    tld = sender_email.rpartition("@")[2].strip().lower().rstrip(".").rpartition(".")[2]
    if len(tld) != 2 or tld in GENERIC_CCTLDS:
        return None
    region = "GB" if tld == "uk" else tld.upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def _international_region(text: str) -> str | None:
    """Region of the first number written with a "+" country code, if any."""
    match = _INTERNATIONAL.search(text)
    if not match:
        return None
    try:
        code = phonenumbers.parse(match.group(), None).country_code
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_country_code(code) if code else None
    return None if region in (None, "ZZ", "001") else str(region)


def region_for(lines: list[str], sender_email: str, default_region: str | None) -> str:
    """Where national-format numbers in this signature are dialled from."""
    return (
        _address_region(lines)
        or _tld_region(sender_email)
        or _international_region("\n".join(lines))
        or (default_region or "US").upper()
    )


def _label_kind(text: str) -> str | None:
    last = None
    for match in _LABEL.finditer(text[-_LABEL_WINDOW:]):
        last = match
    return last.lastgroup if last else None


def _unlabeled_kind(number: phonenumbers.PhoneNumber) -> str | None:
    """Mobile ranges are mobile, other valid numbers work; invalid ones are no phone."""
    if not phonenumbers.is_valid_number(number):
        return None
    mobile = phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    return "mobile" if mobile else "work"


def _dialable(number: phonenumbers.PhoneNumber) -> bool:
    """Long enough to dial from abroad: a seven-digit local number has no E.164 form."""
    reason = phonenumbers.is_possible_number_with_reason(number)
    return bool(reason == phonenumbers.ValidationResult.IS_POSSIBLE)


def _line_phones(line: str, region: str) -> Iterator[Phone]:
    consumed = 0
    matcher = phonenumbers.PhoneNumberMatcher(line, region, phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        kind = _label_kind(line[consumed : match.start])
        consumed = match.end
        trailing = _TRAILING.match(line[match.end :])
        if trailing:
            consumed += trailing.end()
            kind = kind or next(k for k, v in trailing.groupdict().items() if v)
        kind = kind if kind and _dialable(match.number) else _unlabeled_kind(match.number)
        if kind:
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            yield Phone(e164=e164, kind=kind)


def phones(lines: Iterable[str], region: str) -> tuple[Phone, ...]:
    """Every number in ``lines`` once, in order, with its kind."""
    seen: dict[str, Phone] = {}
    for line in lines:
        if has_phone(line):
            for phone in _line_phones(line, region):
                seen.setdefault(phone.e164, phone)
    return tuple(seen.values())


def vcard_phone(params: str, value: str, region: str) -> Phone | None:
    """A vCard ``TEL`` property: its TYPE parameters are the label."""
    found = list(_line_phones(f"{params}: {value}", region))
    return found[0] if found else None
