"""The postal address in a signature block, as its written parts joined by ", ".

An address is a run of adjacent address-like segments (lines, or ``|``/``·`` parts of
a line) that contains an *anchor*: a postal code in one of the common national shapes
(US "TX 77002", UK "EH1 2AB", Canada, Netherlands "3072 AP", Portugal "4000-442",
"80331 München" for most of Europe, "Singapore 018989"), a P.O. box, a house number
with a street word, or a CJK address (〒, or a 市/区/県 line with numbers). Around the
anchor, street lines ("Hauptstraße 4", "88 Kearny Street"), unit lines ("Suite 900",
"7th Floor") and a country line join the run; the company name and contact lines do
not, and a label such as "Address:" or "地址：" is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from enrichment.phones import has_phone
from enrichment.signature_lines import DIGIT, has_cjk, segments
from enrichment.signature_words import COUNTRY_NAMES, STREET_WORDS
from enrichment.web_links import has_email, has_web_address

_MAX_PART = 80
_POSTAL_CODE = re.compile(
    r"\b[A-Z]{2}\.?\s+\d{5}(?:-\d{4})?\b"  # US state + ZIP
    r"|,\s*[A-Z][a-z]+\s+\d{5}(?:-\d{4})?$"  # "Houston, Texas 77002"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"  # UK
    r"|\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"  # Canada
    r"|\b\d{4}\s?[A-Z]{2}\s+[A-Z][a-z]"  # Netherlands
    r"|\b\d{4}-\d{3}\b"  # Portugal
    r"|\b\d{5}-\d{3}\b"  # Brazil
    r"|(?:\b[A-Z]{1,2}-)?\b\d{4,5}\s+[A-ZÀ-Þ][\w-]+"  # most of Europe
    r"|\b[A-Z][a-z]+\s+\d{6}\b"  # "Singapore 018989"
    r"|〒\s?\d{3}-?\d{4}"  # Japan
)
_PO_BOX = re.compile(
    r"\bP\.?\s?O\.?\s+Box\b|\bPostfach\b|\bApartado\b|\bCaixa\s+Postal\b|\bB\.?P\.?\s+\d",
    re.IGNORECASE,
)
_STREET = "|".join(STREET_WORDS)
_NUMBERED_STREET = re.compile(rf"\d+\s+\w+.{{0,60}}?\b(?:{_STREET})\b", re.IGNORECASE)
# "88 Kearny Street", "8 Marina View" / "Rua de Santa Catarina 312", "Kanaalweg 91a".
_STREET_LINE = re.compile(
    r"^\d+[a-zA-Z]?\b[,\s]+[^\W\d_]"
    r"|^[^\W\d_][^\d,]{2,50},?\s\d+[a-zA-Z]?(?:[-/]\d+)?(?:\b|$)"
)
_UNIT = re.compile(
    r"^(?:suite|ste|floor|fl|unit|building|bldg|level|apt|room|rm|etage|étage|piso|planta|"
    r"andar|#\s?\d)\b|\b\d+(?:st|nd|rd|th)\s+floor\b|\b\d+[º°ª]\s*(?:andar|piso|planta)\b",
    re.IGNORECASE,
)
_CJK_ADDRESS = re.compile(r"〒|[省市区县縣県都府].*\d")
_LABEL = re.compile(
    r"^(?:address|addr|adresse|anschrift|dirección|direccion|indirizzo|endereço|morada|"
    r"adres|地址|住所|所在地)\s*[:：]\s*",
    re.IGNORECASE,
)
# Postal codes that look like phone numbers to a digit counter: ZIP+4, Japan's 〒.
_LONG_CODES = re.compile(r"\b\d{5}-\d{3,4}\b|\b\d{4}-\d{3}\b|〒\s?\d{3}-?\d{4}")
_COUNTRIES = frozenset(name for names in COUNTRY_NAMES.values() for name in names.split("|"))


def _is_anchor(text: str) -> bool:
    if has_cjk(text):
        return bool(_CJK_ADDRESS.search(text))
    return bool(_POSTAL_CODE.search(text) or _PO_BOX.search(text) or _NUMBERED_STREET.search(text))


def _is_part(text: str) -> bool:
    """A street or unit segment: an address part next to an anchor."""
    return bool(_STREET_LINE.search(text) or _UNIT.search(text))


def _usable(text: str) -> bool:
    """Not too long, and no email, web address or phone number (postal codes aside)."""
    if len(text) > _MAX_PART or has_email(text) or has_web_address(text):
        return False
    return not has_phone(_LONG_CODES.sub(" ", text))


def _kind(part: str) -> str | None:
    """ "anchor", "part" or None. Every anchor, street and unit has a digit, so lines
    without one (names, titles, companies) only need the country lookup."""
    if not DIGIT.search(part):
        return "part" if part.strip(" .").casefold() in _COUNTRIES else None
    if not _usable(part):
        return None
    if _is_anchor(part):
        return "anchor"
    return "part" if _is_part(part) else None


def address(lines: Iterable[str]) -> str | None:
    """The first run of address segments that holds an anchor, joined by ", "."""
    run: list[str] = []
    anchored = False
    for line in lines:
        for part in [_LABEL.sub("", seg) for seg in segments(line)] or [""]:
            kind = _kind(part) if part else None
            if kind:
                run.append(part.strip(" ,"))
                anchored = anchored or kind == "anchor"
            elif anchored:
                return ", ".join(run)
            else:
                run = []
    return ", ".join(run) if anchored else None
