"""Is a signature line a person's name, and what is the name without its decorations?

A name line is short, has no digits or contact characters, and consists of capitalised
words that are not title, company or greeting vocabulary; a CJK name is two to four
ideographs (or family + space + given) with an optional romanised variant. Honorifics,
pronouns and post-nominals are decorations: post-nominals are recognised with
nameparser's list of professional suffixes, but only when written as an acronym
("CPA", "PhD"), so the surname "Ma" is not mistaken for the degree "MA".
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from enrichment.line_cache import per_line
from enrichment.people import is_postnominal
from enrichment.signature_lines import (
    DIGIT,
    fold,
    has_cjk,
    has_legal_form,
    has_title_word,
    is_signoff,
    not_person,
)
from enrichment.signature_words import (
    CJK_UNIT_ENDINGS,
    GREETING_PHRASES,
    HONORIFICS,
    NOT_NAME_WORDS,
    REPLY_WORDS,
)
from enrichment.web_links import has_web_address

MAX_NAME = 60
_IDEOGRAPH = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A CJK name (2-4 ideographs, or family + space + given), optionally followed by a
# romanised variant in brackets or after a space: "李明", "高橋 直子（Naoko Takahashi）".
_CJK_NAME = re.compile(
    rf"^([{_IDEOGRAPH}]{{1,3}} [\u3040-\u30ff{_IDEOGRAPH}]{{1,4}}|[{_IDEOGRAPH}]{{2,4}})"
    r"\s*(?:[(（][^()（）]*[)）])?\s*[A-Za-z .'-]*$"
)
_GREETING = re.compile(r"^(?:" + "|".join(GREETING_PHRASES) + r")\b", re.IGNORECASE)
_NOT_IN_NAMES = re.compile(r"[@:_/=<>#\[\]{}\\%$+]")
_PAREN = re.compile(r"[(（][^()（）]*[)）]")
_NON_NAME_CHARS = re.compile(r"[^\w\s.'’\-]")
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÞĀ-Ž][\w'’\-]*\.?|[a-z]{1,3}|[A-Z]\.)$")


def _without_parens(text: str) -> str:
    """``text`` with each bracketed part ("(she/her)", "（Naoko）") replaced by a space;
    most lines have no bracket, which is cheaper to look for than to substitute."""
    return _PAREN.sub(" ", text) if "(" in text or "（" in text else text


@per_line
def strip_decoration(text: str) -> str:
    """Drop pronouns and other parentheses, honorifics, post-nominals and emoji."""
    words = _NON_NAME_CHARS.sub(" ", _without_parens(text)).split()
    while len(words) > 2 and is_postnominal(words[-1]):
        words.pop()
    while len(words) > 1 and words[0].lower().rstrip(".") in HONORIFICS:
        words.pop(0)
    return " ".join(words).strip(" -.,")


def cjk_name(text: str) -> str | None:
    """The native-script name of a CJK name line, without a romanised variant."""
    match = _CJK_NAME.match(text.strip())
    if not match or has_legal_form(text) or is_signoff(text):
        return None
    name = match.group(1)
    return None if has_title_word(name) or name.endswith(CJK_UNIT_ENDINGS) else name


def looks_like_name(text: str, minimum: int = 2) -> bool:
    """2-4 capitalised words without digits (or a CJK name): a person, not a title.

    ``minimum=1`` also accepts a bare first name, which is only safe right after a
    sign-off ("Thanks,\\nTom").
    """
    return _name_words(text) >= minimum


_ANY_COUNT = 4
"""What ``_name_words`` says of a CJK name: it counts whatever the minimum."""


@per_line
def _name_words(text: str) -> int:
    """How many words the name on a line has (1-4, ``_ANY_COUNT`` for a CJK name), or 0
    when it is no name. The same name lines come back message after message, asked
    with either minimum, so the answer is the count (see ``line_cache``). Cheap shape
    tests run before the big word lists."""
    if len(text) > MAX_NAME or DIGIT.search(text):
        return 0
    if _NOT_IN_NAMES.search(_without_parens(text)):
        return 0
    if has_cjk(text):
        return _ANY_COUNT if cjk_name(text) is not None else 0
    if text.rstrip().endswith((",", ":")):
        return 0
    words = strip_decoration(text).split()
    if len(words) > 4 or not all(_NAME_WORD.match(w) for w in words):
        return 0
    if any(w.lower() in NOT_NAME_WORDS for w in words) or has_web_address(text):
        return 0
    if has_title_word(text) or has_legal_form(text) or is_signoff(text):
        return 0
    return 0 if _GREETING.match(text) or not_person(text) else len(words)


_INITIALS = re.compile(r"^[A-Z]{2,3}\.?$")
_JOINED = re.compile(r"\s+(?:and|&|\+)\s+")


def closing_name(text: str) -> bool:
    """A name as people close a message with it: a name, initials ("BT") or two first
    names joined ("Christian and Steve"; a joined longer phrase is a heading), and not a
    one-word answer ("Agreed", "OK")."""
    text = text.strip("-–—/ ").rstrip(".")
    if fold(text) in REPLY_WORDS:
        return False
    if _INITIALS.match(text):
        return True
    names = _JOINED.split(text)
    if len(names) == 2:
        return all(" " not in name and looks_like_name(name, minimum=1) for name in names)
    return len(names) == 1 and looks_like_name(text, minimum=1)


def signs_as(closing: str, sender: str | None) -> bool:
    """Whether a closing name can be the sender's, given the sender's name when known.

    A closing signs with a word of the name ("Christian and Steve" by Christian Yoder),
    its initials ("BT" by Barry Tycholiz) or a short form with the given name's initial
    ("Tom" or "T." by Thomas Rosendahl; nicknames are too many to list). When no given name is
    known (no display name, or only a surname), only a single word is taken: a first
    name or initials, not a heading or a company that ends a text.
    """
    words = [w.strip(".-") for w in _JOINED.sub(" ", fold(closing)).split()]
    known = [word.strip(".") for word in fold(sender).split()] if sender else []
    if len(known) < 2:
        return len(words) == 1
    if any(word in known for word in words):
        return True
    if len(words) != 1:
        return False
    word = words[0]
    initials = {"".join(w[0] for w in known if w), known[0][:1] + known[-1][:1]}
    return word in initials or word[:1] == known[0][:1]


def _normal_case(word: str) -> str:
    """ "MOREAU" -> "Moreau", "JEAN-LUC" -> "Jean-Luc"; initials and mixed case stay."""
    if len(word) > 1 and word.isupper() and word.replace(".", "").isalpha():
        return "-".join(part.capitalize() for part in word.split("-"))
    return word


def clean_name(text: str) -> str | None:
    """The name as a contact shows it: decorations removed, capitals in normal case."""
    cjk = cjk_name(text) if has_cjk(text) else None
    if cjk:
        return cjk
    words = strip_decoration(text).split()
    return " ".join(_normal_case(w) for w in words) or None


def name_score(candidate: str, folded_display: str) -> float:
    """0-100: how well a line matches the (folded) display name, word order ignored."""
    return float(fuzz.token_set_ratio(fold(strip_decoration(candidate)), folded_display))
