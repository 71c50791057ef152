"""Job title, company and department in the segments of a signature block.

A *segment* is a line, or one ``|``/``·`` part of a one-line signature. The title is
the first segment with title vocabulary after the name (a company written with it is
split off: "VP Sales at Acme", "Buyer – Acme BV", "Controller, Acme Ltd"); the company
is a segment with a legal form, else one that spells the sender's domain ("Northwind
Labs" for northwind-labs.com, fuzzily), else what "Title at Company" named, else the
organisation-looking segment right below the title. A department is only reported
when the signature names a unit on its own ("Customer Success", "購買部"), never
derived from the title ("Head of Procurement" has none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from enrichment.signature_lines import (
    DIGIT,
    WORD_TOKENS,
    fold,
    has_address_hint,
    has_cjk,
    has_legal_form,
    has_title_word,
    is_contact,
    segments,
)
from enrichment.signature_words import (
    CJK_UNIT_ENDINGS,
    DEPARTMENT_CONNECTORS,
    DEPARTMENT_FUNCTIONS,
    DEPARTMENT_WORDS,
)

MIN_LABEL = 4
_DOMAIN_MATCH = 85
_MAX_ORG_WORDS = 6
_AT_SPLIT = re.compile(r"\s+(?:at|@|chez|bei|en)\s+")
_DASH_SPLIT = re.compile(r"\s+[–—-]\s+")
_CJK_UNIT = re.compile(r"^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\s]{1,16}$")
_DEPARTMENT_TOKENS = re.compile(r"[^\W\d_]+(?:&[^\W\d_]+)?|&")


@dataclass(frozen=True)
class Segment:
    """One line of a signature block, or one part of a one-line signature; ``contact``
    when it is a phone, email, web, address or "Label: value" part, which holds no role."""

    line: int
    text: str
    contact: bool


def segments_of(lines: list[str]) -> list[Segment]:
    """The segments of a signature block, each classified once."""
    return [
        Segment(i, seg, _is_contact_segment(seg))
        for i, line in enumerate(lines)
        for seg in segments(line)
    ]


@dataclass(frozen=True)
class Role:
    """What a signature says about the person's role in their organisation."""

    title: str | None = None
    company: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class _Title:
    text: str | None = None
    company: str | None = None
    department: str | None = None
    index: int = -1


def _is_contact_segment(text: str) -> bool:
    """Phone, email, web, address or "Label: value" segments."""
    return is_contact(text) or has_address_hint(text) or ":" in text[:12]


def matches_domain(text: str, label: str) -> bool:
    """ "Northwind Labs" for northwind-labs.com, tolerant of abbreviations."""
    squashed, wanted = _squash(text), _squash(label)
    if len(wanted) < MIN_LABEL or not squashed or DIGIT.search(text):
        return False
    if len(squashed) >= len(wanted):
        return fuzz.partial_ratio(wanted, squashed) >= _DOMAIN_MATCH
    return fuzz.ratio(wanted, squashed) >= _DOMAIN_MATCH


def _squash(text: str) -> str:
    return "".join([ch for ch in fold(text) if ch.isalnum()])


def _is_companyish(text: str, labels: tuple[str, ...]) -> bool:
    return has_legal_form(text) or any(matches_domain(text, label) for label in labels)


def is_department(text: str) -> bool:
    """A unit named on its own: unit or function words only, or a CJK name in 部/室/課."""
    if has_cjk(text):
        return bool(_CJK_UNIT.match(text)) and _cjk_unit(text) and not has_legal_form(text)
    if DIGIT.search(text) or has_legal_form(text):
        return False
    tokens = [tok.lower() for tok in _DEPARTMENT_TOKENS.findall(text)]
    known = DEPARTMENT_WORDS | DEPARTMENT_FUNCTIONS
    content = [tok for tok in tokens if tok not in DEPARTMENT_CONNECTORS]
    return 0 < len(content) <= _MAX_ORG_WORDS and all(tok in known for tok in content)


def _cjk_unit(text: str) -> bool:
    return all(tok.endswith(CJK_UNIT_ENDINGS) for tok in text.split())


def _split_title(text: str, labels: tuple[str, ...]) -> tuple[str, str | None]:
    """ "VP Sales at Acme" -> ("VP Sales", "Acme"); commas split only before a company."""
    at = _AT_SPLIT.search(text)
    if at and has_title_word(text[: at.start()]):
        return text[: at.start()].strip(), text[at.end() :].strip() or None
    dash = _DASH_SPLIT.search(text)
    if dash and not has_title_word(text[dash.end() :]):
        return text[: dash.start()].strip(), text[dash.end() :].strip() or None
    comma = text.find(", ")
    if comma > 0 and _is_companyish(text[comma + 2 :], labels):
        return text[:comma].strip(), text[comma + 2 :].strip()
    return text.strip(), None


def _cjk_title(text: str, index: int) -> _Title:
    """ "営業本部 第二営業部 課長" -> title "課長", department "営業本部 第二営業部"."""
    tokens = text.split()
    titled = [i for i, tok in enumerate(tokens) if has_title_word(tok)]
    if not titled:
        return _Title(text, None, None, index)
    last = titled[-1]
    unit = " ".join(tokens[:last])
    return _Title(tokens[last], None, unit if unit and _cjk_unit(unit) else None, index)


def _title(segs: list[Segment], after: int, labels: tuple[str, ...]) -> _Title:
    """The first title-like segment after the name line, else one before it; a segment
    that only names a unit ("Marketing") is the title only when nothing else is."""
    order = list(range(after, len(segs))) + list(range(max(after - 1, 0)))
    candidates = [i for i in order if _title_like(segs[i], labels)]
    units = [i for i in candidates if is_department(segs[i].text)]
    chosen = next((i for i in candidates if i not in units), units[0] if units else None)
    if chosen is None:
        return _Title()
    text = segs[chosen].text
    if has_cjk(text):
        return _cjk_title(text, chosen)
    title, company = _split_title(text, labels)
    return _Title(title, company, None, chosen)


def _title_like(seg: Segment, labels: tuple[str, ...]) -> bool:
    if seg.contact or not has_title_word(seg.text):
        return False
    return not has_legal_form(seg.text) or _split_title(seg.text, labels)[1] is not None


def _company(segs: list[Segment], skip: set[int], labels: tuple[str, ...]) -> str | None:
    """A segment with a legal form, else one that spells the sender's domain."""
    usable = [
        seg
        for i, seg in enumerate(segs)
        if i not in skip and not seg.contact and "@" not in seg.text
    ]
    for seg in usable:
        if has_legal_form(seg.text) and not has_title_word(seg.text):
            return _legal_part(seg.text)
    for seg in usable:
        words = len(seg.text.split())
        if words <= _MAX_ORG_WORDS and any(matches_domain(seg.text, lab) for lab in labels):
            return seg.text.strip(" ,")
    return None


def _legal_part(text: str) -> str:
    """ "Regulatory Affairs - Acme Corp." -> "Acme Corp.": the unit beside it is no company."""
    parts = [part for part in _DASH_SPLIT.split(text) if has_legal_form(part)]
    return (parts[0] if len(parts) == 1 else text).strip(" ,")


def _company_below(segs: list[Segment], above: int, skip: set[int]) -> str | None:
    """Last resort: the segment right below the title, if it reads like an organisation."""
    i = above + 1
    if above < 0 or i >= len(segs) or i in skip:
        return None
    text = segs[i].text.strip(" ,")
    if segs[i].contact or has_title_word(text) or DIGIT.search(text):
        return None
    if not 1 <= len(text.split()) <= _MAX_ORG_WORDS or not text[:1].isupper():
        return None
    return None if is_department(text) or _has_unit_word(text) else text


def _has_unit_word(text: str) -> bool:
    return any(word.lower() in DEPARTMENT_WORDS for word in WORD_TOKENS.findall(text))


def _department(segs: list[Segment], skip: set[int]) -> str | None:
    for i, seg in enumerate(segs):
        if i not in skip and not seg.contact and is_department(seg.text):
            return seg.text.strip(" ,")
    return None


def role(segs: list[Segment], name_at: int | None, labels: tuple[str, ...]) -> Role:
    """Title, company and department of the person whose name is segment ``name_at``."""
    title = _title(segs, 0 if name_at is None else name_at + 1, labels)
    skip = set() if name_at is None else {name_at}
    if title.text:
        skip |= {i for i, seg in enumerate(segs) if title.text in seg.text}
    company = _company(segs, skip, labels) or title.company
    company = company or _company_below(segs, title.index, skip)
    department = title.department or _department(segs, skip)
    return Role(title.text, company, department)
