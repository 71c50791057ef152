"""What one line of a message's tail is: a rule, a sign-off, a footer, prose, a contact line.

Signature detection and field parsing both ask these questions of single lines (or of
the ``|``/``·`` segments of a one-line signature). The answers rest on shape (length,
capitalisation, digits, punctuation) and on the general vocabulary in
``signature_words``; every pattern is compiled once and anchored or length-capped, so
the cost per line is bounded whatever the input.
"""

from __future__ import annotations

import re
import unicodedata

from enrichment.alternation import by_first_letter
from enrichment.line_cache import per_line
from enrichment.phones import has_phone
from enrichment.signature_words import (
    ATTACHMENT_EXTENSIONS,
    CJK_LEGAL_FORMS,
    CJK_TITLES,
    COPYRIGHT_MARKS,
    LEGAL_FORMS,
    LEGAL_PHRASES,
    MOBILE_FOOTER_PHRASES,
    NOT_PERSON_WORDS,
    REGISTER_PHRASES,
    SIGNOFF_PHRASES,
    STREET_WORDS,
    TITLE_ACRONYMS,
    TITLE_STEMS,
    TITLE_WORDS,
)
from enrichment.web_links import has_email, has_web_address

MAX_LINE = 120
MAX_SIGNOFF = 60  # a sign-off line is never longer
RULE_CHARS = "-_=~*#━─═＝・–—"
_PROSE_WORDS = 7  # fewer words than this are never a sentence

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# "-- ", a lone dash that autocorrect made of it ("—"), or a rule of three or more.
_DELIMITER = re.compile(r"^(?:--|[–—]|(?:[-_=~*#━─═＝・–—] ?){3,})$")
_SIGNOFF_PATTERN = (
    r"^\s*(?:"
    + "|".join(p for phrases in SIGNOFF_PHRASES.values() for p in phrases)
    + r")\s*[,.!！。，、:;…~-]*\s*$"
)
_SIGNOFF = re.compile(_SIGNOFF_PATTERN, re.IGNORECASE)
# The same phrases ending in a comma or full stop with more on the line ("Thanks, Tom").
_SIGNOFF_HEAD = re.compile(
    r"^\s*(?:"
    + "|".join(p for phrases in SIGNOFF_PHRASES.values() for p in phrases)
    + r")\s*[,.!]+\s+(?=\S)"
)
# The phrases are lower-case, so an ASCII line lower-cased first matches the same
# case-sensitively: several times faster, as a case-insensitive alternation cannot
# skip an alternative by its first letter.
_SIGNOFF_LOWER = re.compile(_SIGNOFF_PATTERN)
# Lower-case and case-sensitive on purpose: the caller lower-cases the line, and
# case-insensitive alternations are several times slower on long disclaimer lines.
_MOBILE_FOOTER = re.compile(r"^\s*(?:" + "|".join(MOBILE_FOOTER_PHRASES) + ")")
# Yes/no searches over every line of a tail: word lists grouped by first letter (see
# ``alternation``), here and in the title stems and street words below.
_LEGAL = re.compile(by_first_letter(LEGAL_PHRASES))
_REGISTER = re.compile(by_first_letter(REGISTER_PHRASES, word_start=True))
# Either of the two: a line on which legal wording counts needs one scan, not two.
_REGISTER_OR_LEGAL = re.compile(f"{_REGISTER.pattern}|{_LEGAL.pattern}")
_ATTACHMENT = re.compile(
    r"^(?:-\s*|<<)[^<>]{1,120}\.(?:" + "|".join(sorted(ATTACHMENT_EXTENSIONS)) + r")(?:>>)?$",
    re.IGNORECASE,
)
_SEGMENT_SPLIT = re.compile(r"[|│]|(?<=\s)[•·](?=\s)")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_SENTENCE = re.compile(r"[。，、！？；]")
_CJK_TITLE = re.compile("|".join(CJK_TITLES))
_CJK_LEGAL_FORM = re.compile("|".join(map(re.escape, CJK_LEGAL_FORMS)))
_TITLE_STEM = re.compile(by_first_letter(TITLE_STEMS))
_TOKEN_SPLIT = re.compile(r"[\s,;()（）]+")
WORD_TOKENS = re.compile(r"[^\W\d_]+")
LETTERS = re.compile(r"[^\W\d_]")
DIGIT = re.compile(r"\d")
_ADDRESS_HINT = re.compile(
    r"\d+\s+\w+.{0,60}?\b(?:" + by_first_letter(STREET_WORDS) + r")\b|\b\d{4,5}\s+[A-ZÀ-Þ]\w+|〒|"
    r"\b[A-Z]{2}\s+\d{5}\b",
    re.IGNORECASE,
)
# Internal extensions ("x3-6343", "ext. 4471", "*7086", or a site digit and four as
# "3-6343"): a short line that is only that.
_EXTENSION = re.compile(
    r"^(?:(?:ext|x|#|\*)\.?\s*\d[\d-]{2,6}|\d-\d{4})$", re.IGNORECASE
)


def has_cjk(text: str) -> bool:
    """Holds Chinese or Japanese script; ASCII text, most of it, is answered without a scan."""
    return not text.isascii() and _CJK.search(text) is not None


@per_line
def has_address_hint(text: str) -> bool:
    """A house number before a street word, a postal code before a city, or "〒". Every
    form has a digit (or "〒"), which is much cheaper to look for than the forms."""
    if not DIGIT.search(text) and "〒" not in text:
        return False
    return _ADDRESS_HINT.search(text) is not None


def is_delimiter(line: str) -> bool:
    """ "-- ", "--", "—" and rules of dashes, underscores, stars or CJK box characters."""
    stripped = line.strip()
    if not stripped or stripped[0] not in RULE_CHARS or len(stripped) > MAX_LINE:
        return False
    return bool(_DELIMITER.match(stripped))


@per_line
def is_signoff(line: str) -> bool:
    """A closing phrase on its own line ("Best regards,", "Mit freundlichen Grüßen")."""
    if not line or len(line) > MAX_SIGNOFF or len(line.split()) > 8 or DIGIT.search(line):
        return False
    if line.isascii():
        return _SIGNOFF_LOWER.match(line.lower()) is not None
    return _SIGNOFF.match(line.translate(_ZERO_WIDTH)) is not None


def after_signoff(line: str) -> str | None:
    """What follows a closing phrase on its own line ("Thanks, BT" -> "BT"), or None.

    Some write the closing and their name on one line; the name is then the start of
    the signature. Only short lines qualify, as in ``is_signoff``.
    """
    if not line or len(line) > MAX_SIGNOFF or len(line.split()) > 8 or DIGIT.search(line):
        return None
    lowered = line.lower()
    match = _SIGNOFF_HEAD.match(lowered) if len(lowered) == len(line) else None
    return line[match.end() :].strip() if match else None


@per_line
def is_footer(line: str) -> bool:
    """Mobile footers, legal notices, register and copyright footers, attachment lists.

    A legal word only counts on a long line or a short heading ("Disclaimer:"), so a
    job title that contains one ("Legal Counsel") stays a signature line.
    """
    lower = line.strip().lower()
    if not lower:
        return False
    if _MOBILE_FOOTER.match(lower) or is_attachment(lower):
        return True
    for mark in COPYRIGHT_MARKS:  # plain substrings: cheaper than a regex search
        if mark in lower:
            return True
    legal_counts = len(lower) > 60 or len(lower.split()) <= 4
    return bool((_REGISTER_OR_LEGAL if legal_counts else _REGISTER).search(lower))


@per_line
def has_legal_wording(line: str) -> bool:
    """Notice wording anywhere in a line of any length ("... privileged or confidential
    information meant for the"): a wrapped notice spreads it over short lines."""
    return bool(_LEGAL.search(line.lower()))


def is_attachment(line: str) -> bool:
    """ " - report.pdf" / "<<deal.doc>>": attachment lists below the text (lower-case)."""
    return line[:2] in ("- ", "-\t", "<<") and bool(_ATTACHMENT.match(line))


def is_extension(line: str) -> bool:
    """An internal phone extension alone on a line ("x3-6343", "ext. 4471", "3-6343")."""
    return len(line) <= 14 and bool(_EXTENSION.match(line.strip()))


@per_line
def is_contact(line: str) -> bool:
    """Phone, email or web lines: the strongest evidence of a signature."""
    return has_email(line) or has_phone(line) or has_web_address(line)


def segments(line: str) -> list[str]:
    """The parts of a one-line signature ("Name | Title · Company"), or the line itself."""
    stripped = line.strip()
    # Four substring tests: several times cheaper than a search for the character class.
    if not ("|" in stripped or "│" in stripped or "•" in stripped or "·" in stripped):
        return [stripped] if stripped else []
    return [seg.strip() for seg in _SEGMENT_SPLIT.split(stripped) if seg.strip()]


@per_line
def is_prose(line: str) -> bool:
    """Sentence-like body text, which a signature line never is.

    Sentences carry many lower-case words (or CJK sentence punctuation); titles,
    company names and addresses are mostly capitalised, however long. One-line
    signatures ("Name | Title | Company | Phone") are judged segment by segment.
    """
    stripped = line.strip()
    if len(stripped) > MAX_LINE or stripped.endswith(("?", "？")):
        return True
    if has_cjk(stripped):
        return len(stripped) >= 12 and bool(_CJK_SENTENCE.search(stripped))
    if len(stripped.split(maxsplit=_PROSE_WORDS)) < _PROSE_WORDS:
        return False  # a segment has no more words than its line: no need to split it
    return any(_is_prose_segment(seg) for seg in segments(stripped))


def _is_prose_segment(segment: str) -> bool:
    """Seven words of which four lower-case, or more than fourteen words (tokens with a
    letter; most are all letters, which ``isalpha`` tells without a regex)."""
    tokens = segment.split()
    if len(tokens) < _PROSE_WORDS:
        return False
    words = [word for word in tokens if word.isalpha() or LETTERS.search(word)]
    lower = len([word for word in words if word[:1].islower() and word.isalpha()])
    return (len(words) >= 7 and lower >= 4) or len(words) > 14


@per_line
def has_legal_form(text: str) -> bool:
    """Names a company by its legal form ("GmbH", "Inc.", "株式会社"); the CJK forms are
    not ASCII, so ASCII text skips their search."""
    if not text.isascii() and _CJK_LEGAL_FORM.search(text):
        return True
    return any(tok.rstrip(".") in LEGAL_FORMS for tok in _TOKEN_SPLIT.split(text))


@per_line
def has_title_word(text: str) -> bool:
    """Job-title vocabulary in any of the supported languages (a set lookup per word)."""
    if has_cjk(text) and _CJK_TITLE.search(text):
        return True
    words = WORD_TOKENS.findall(text)
    if any(word in TITLE_ACRONYMS or word.lower() in TITLE_WORDS for word in words):
        return True
    return bool(_TITLE_STEM.search(text.lower()))


def not_person(text: str) -> bool:
    """Has a word that marks a role or an organisation ("Support", "Billing", "Team")."""
    return any(word.lower() in NOT_PERSON_WORDS for word in WORD_TOKENS.findall(text))


def fold(text: str) -> str:
    """Case- and accent-insensitive form ("Müller" -> "muller")."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
