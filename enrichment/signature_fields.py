"""Read contact fields from a signature block and the sender's display name.

The block is cut into segments (lines, and the ``|``/``·`` parts of one-line
signatures). The display name anchors the name segment (fuzzy match, word order and
accents ignored); title, company and department come from ``signature_org``, phones
from ``phones``, links from ``web_links``, the postal address from ``postal``.
Nothing is taken from the local part of an address, and an automated sender's
display name is nobody's name. A vCard block is read by its property names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from enrichment import web_links
from enrichment.people import clean_display_name
from enrichment.phones import Phone, phones, region_for, vcard_phone
from enrichment.postal import address
from enrichment.signature_block import NAME_MATCH, is_automated
from enrichment.signature_lines import (
    LETTERS,
    after_signoff,
    fold,
    has_cjk,
    has_legal_form,
    has_title_word,
    not_person,
)
from enrichment.signature_names import clean_name, looks_like_name, name_score
from enrichment.signature_org import (
    MIN_LABEL,
    Segment,
    matches_domain,
    role,
    segments_of,
)
from enrichment.signature_words import FREE_MAIL_LABELS

_MAX_PARSE_LINES = 40
_MAX_PARSE_LINE = 300
_NAME_LINES = 4
_VCARD_LINE = re.compile(r"^(?P<key>[A-Z-]+)(?P<params>(?:;[^:]*)?):(?P<value>.*)$")


@dataclass(frozen=True)
class Fields:
    """Contact fields read from one signature block."""

    full_name: str | None
    job_title: str | None
    company: str | None
    department: str | None
    phones: tuple[Phone, ...]
    emails: tuple[str, ...]
    website: str | None
    linkedin: str | None
    twitter: str | None
    address: str | None


def _domain_labels(
    sender_email: str, emails: tuple[str, ...], website: str | None
) -> tuple[str, ...]:
    """The organisation's names in its domains: the From domain's, then the signature's."""
    hosts = [address.rpartition("@")[2] for address in (sender_email, *emails) if "@" in address]
    if website:
        hosts.append(website.removeprefix("https://"))
    labels = (web_links.registrable_name(host) for host in hosts)
    return tuple(
        dict.fromkeys(
            label for label in labels if len(label) >= MIN_LABEL and label not in FREE_MAIL_LABELS
        )
    )


def _name_candidates(segs: list[Segment]) -> list[int]:
    """Segments that could be a person's name: near the top, no digits, title or company."""
    out = []
    for i, seg in enumerate(segs):
        if seg.line >= _NAME_LINES or seg.contact or len(seg.text.split()) > 6:
            continue
        if has_title_word(seg.text) or has_legal_form(seg.text):
            continue
        out.append(i)
    return out


def _pick_name(segs: list[Segment], display: str | None) -> int | None:
    """Index of the name segment: the best match for the display name, else the first name."""
    candidates = _name_candidates(segs)
    if display:
        folded = fold(display)
        scored = [(name_score(segs[i].text, folded), i) for i in candidates]
        best = max(scored, key=lambda pair: pair[0], default=None)
        if best and best[0] >= NAME_MATCH:
            return best[1]
    return next((i for i in candidates if looks_like_name(segs[i].text)), None)


def _full_name(name: str | None, display: str | None, labels: tuple[str, ...]) -> str | None:
    """The signature's spelling wins, unless it is just a first name the display extends."""
    if name and display and _extends(display, name):
        return display
    if name:
        return name
    if display and _is_person(display, labels):
        return display
    return None


def _extends(display: str, name: str) -> bool:
    """ "Tom" (or "TB") signed by "Tom Baker": the display name is the more complete form."""
    if " " in name or has_cjk(name):
        return False
    words = fold(display).split()
    if not words:
        return False
    initials = ("".join(word[0] for word in words), words[0][0] + words[-1][0])
    return fold(name) in (words[0], *initials)


def _is_person(display: str, labels: tuple[str, ...]) -> bool:
    """A display name that names the company ("Acme Billing", "Acme Learning") is no one."""
    if not_person(display) or not LETTERS.search(display):
        return False
    return not any(matches_domain(display, label) for label in labels)


_EMPTY = Fields(None, None, None, None, (), (), None, None, None, None)


def _named(display: str, sender_email: str) -> Fields:
    """No signature: only the display name, when it names a person."""
    labels = _domain_labels(sender_email, (), None)
    return replace(_EMPTY, full_name=_full_name(None, display, labels))


def _vcard_fields(lines: list[str], region: str) -> Fields:
    values: dict[str, str] = {}
    found: list[Phone] = []
    for line in lines:
        match = _VCARD_LINE.match(line)
        if not match:
            continue
        key, params, value = match.group("key"), match.group("params"), match.group("value")
        if key == "TEL":
            phone = vcard_phone(params, value, region)
            found.extend([phone] if phone else [])
        else:
            values.setdefault(key, value.strip())
    text = "\n".join(lines)
    return Fields(
        full_name=values.get("FN") or None,
        job_title=values.get("TITLE") or None,
        company=values.get("ORG", "").split(";")[0] or None,
        department=values.get("ORG", "").partition(";")[2].strip(";") or None,
        phones=tuple(found),
        emails=web_links.emails(text),
        website=web_links.website(values.get("URL", "")),
        linkedin=web_links.linkedin(text),
        twitter=web_links.twitter(text),
        address=_vcard_address(values.get("ADR", "")),
    )


def _vcard_address(value: str) -> str | None:
    """``ADR`` is "box;extended;street;city;region;code;country"; parts joined by ", "."""
    parts = [part.strip() for part in value.split(";") if part.strip()]
    return ", ".join(parts) or None


def parse_signature(
    sig: str,
    sender_name: str = "",
    sender_email: str = "",
    default_region: str | None = None,
) -> Fields:
    """Read contact fields from a signature block (which may be empty).

    An empty block still yields the display name when it names a person, so contacts
    without signatures get a name. ``default_region`` is the mailbox owner's country,
    used for national-format numbers when the signature and the domain name none.
    """
    sender_email = sender_email or ""
    lines = [line.strip()[:_MAX_PARSE_LINE] for line in (sig or "").split("\n") if line.strip()]
    lines = lines[:_MAX_PARSE_LINES]
    if lines:  # "Thanks, Ann Lee" opens a signature with its closing: the name follows it
        lines[0] = after_signoff(lines[0]) or lines[0]
    automated = is_automated(sender_email)
    display = None if automated else clean_display_name(sender_name or "", sender_email)
    if not lines:
        return _EMPTY if display is None else _named(display, sender_email)
    if len(lines) == 1 and display and _extends(display, lines[0].strip(" -.")):
        return _named(display, sender_email)  # initials or a first name ("DG"): no title
    region = region_for(lines, sender_email, default_region)
    if lines[0].upper() == "BEGIN:VCARD":
        return _vcard_fields(lines, region)
    text = "\n".join(lines)
    emails, website = web_links.emails(text), web_links.website(text)
    labels = _domain_labels(sender_email, emails, website)
    segs = segments_of(lines)
    name_at = _pick_name(segs, display)
    name = clean_name(segs[name_at].text) if name_at is not None else None
    found = role(segs, name_at, labels)
    return Fields(
        full_name=_full_name(name, display, labels),
        job_title=found.title,
        company=found.company,
        department=found.department,
        phones=phones(lines, region),
        emails=emails,
        website=website,
        linkedin=web_links.linkedin(text),
        twitter=web_links.twitter(text),
        address=address(lines),
    )
