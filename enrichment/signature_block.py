"""Find the sender's signature block at the end of the new text of a message.

Contacts fill themselves from signatures, so a false positive is costly: a paragraph
of body text read as a signature invents a job title, and a disclaimer read as one
invents a company. A block is therefore only accepted at the end of the text, after
footers (wrapped legal notices included) are set aside, and only in one of five
shapes, tried in this order:

1. after the last delimiter ("-- ", a rule) or sign-off ("Best regards,") that is
   followed by a signature-shaped block (short non-prose lines led by a name or a
   contact line; after a delimiter also a block of title/company/address lines);
2. a vCard (``BEGIN:VCARD`` ... ``END:VCARD``);
3. without a marker, a trailing block opened by the sender's display name, or by a
   name-shaped line followed by contact or title lines, or a one-line ``|`` signature;
4. without a marker or a name-led block, a last paragraph that is a closing naming
   the sender ("Bert", "BT", "Thanks, Ann Lee", maybe over phone lines) or the
   sender's own address over a phone number;
5. else a short trailing block of the sender's own company (its legal name, matching
   the sender's domain) with a phone or an email.

The block starts at its first field line and ends at its last one: it stops at a
blank line unless the next paragraph holds contact/address/company lines, and at
mobile footers, legal notices and register footers. A bare first name (or initials)
that is followed, after a blank line, by a block spelling the name out is part of the
closing, and the signature is that block; so is the sender's own contact block
written further up, above a bare closing name. Only the last lines of the text
are examined, so the work per message is bounded; the caller passes the sender's own
new text (``quotes.split_reply``), never quoted history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from enrichment.people import clean_display_name, name_from_local_part
from enrichment.phones import has_phone
from enrichment.signature_lines import after_signoff, fold, has_legal_form, is_attachment
from enrichment.signature_names import (
    MAX_NAME,
    closing_name,
    looks_like_name,
    name_score,
    signs_as,
)
from enrichment.signature_org import MIN_LABEL, matches_domain
from enrichment.signature_tail import Line, read_tail, unlink
from enrichment.signature_words import AUTOMATED_LOCAL_PARTS, FREE_MAIL_LABELS
from enrichment.web_links import has_email, registrable_name

MAX_SIG_LINES = 20
NAME_MATCH = 80
_CONTACT_BLOCK = 8
_PHONE_DIGITS = 7
_NO_DIGITS = str.maketrans("", "", "0123456789")
_AUTOMATED_LOCAL = re.compile(
    r"^(?:" + "|".join(map(re.escape, sorted(AUTOMATED_LOCAL_PARTS))) + r")(?:[-+._].*)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Signature:
    """The signature block as it appears in the text, and its character offset there."""

    text: str
    start: int


def _next_content(lines: list[Line], i: int) -> int:
    while i < len(lines) and not lines[i].text:
        i += 1
    return i


def _block_end(lines: list[Line], start: int) -> int:
    """Index after the last field line of the signature starting at ``start``.

    The block runs to a blank line, a delimiter or a footer; a following paragraph
    joins only if it holds contact, address or company lines (two-paragraph layouts).
    """
    end, i = start, start
    while i < len(lines) and i - start <= MAX_SIG_LINES:
        line = lines[i]
        if not line.text:
            nxt = _next_content(lines, i)
            if nxt >= len(lines) or not _contact_block(lines, nxt):
                break
            i = nxt
            continue
        if line.footer() or (i > start and line.rule):
            break
        end = i + 1 if line.field() else end
        i += 1
    return end


def _contact_block(lines: list[Line], i: int) -> bool:
    block: list[Line] = []
    while i < len(lines) and lines[i].text and len(block) < _CONTACT_BLOCK:
        block.append(lines[i])
        i += 1
    if any(line.footer() or line.prose() for line in block):
        return False
    return any(line.contact() or line.address_or_company() for line in block)


def _vcard_end(lines: list[Line], start: int) -> int:
    for i in range(start, min(len(lines), start + 2 * MAX_SIG_LINES)):
        if lines[i].text.upper() == "END:VCARD":
            return i + 1
    return start


def _plausible(lines: list[Line], start: int, end: int, strict: bool) -> bool:
    """Signature-shaped: short non-prose lines, led by a name or a contact line.

    After a delimiter (not ``strict``) a block led by something else still counts if it
    carries contact, address, company or title lines; after a sign-off it does not, so
    "Thanks,\\nThe Events Team" or a follow-up paragraph is not taken for a signature.
    """
    body = [line for line in lines[start:end] if line.text]
    if not body or len(body) > MAX_SIG_LINES or body[0].signoff():
        return False
    if any(line.prose() for line in body) or len(body[0].lead()) > MAX_NAME:
        return False
    if body[0].opens_with_name() or body[0].contact():
        return True
    return not strict and any(line.evidence() for line in body)


def _from_marker(lines: list[Line], marker: int) -> tuple[int, int] | None:
    start = _next_content(lines, marker + 1)
    if start >= len(lines):
        return None
    if lines[start].text.upper() == "BEGIN:VCARD":
        end = _vcard_end(lines, start)
        return (start, end) if end > start else None
    end = _block_end(lines, start)
    strict = lines[marker].signoff()
    return (start, end) if end > start and _plausible(lines, start, end, strict) else None


def _marker_signature(lines: list[Line]) -> tuple[int, int] | None:
    """The latest delimiter or sign-off line followed by a plausible signature block."""
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].text and (lines[i].rule or lines[i].signoff()):
            found = _from_marker(lines, i)
            if found:
                return found
    return None


def _vcard_block(lines: list[Line]) -> tuple[int, int] | None:
    for i, line in enumerate(lines):
        if line.text.upper() == "BEGIN:VCARD":
            end = _vcard_end(lines, i)
            return (i, end) if end > i else None
    return None


def _clean_suffixes(lines: list[Line]) -> tuple[list[bool], int]:
    """``clean[e]``: below line ``e`` come only footers and at most two short taglines;
    and the first line a trailing block may start at.

    One backward pass that stops early: once two ordinary lines lie below, no line above
    is clean, and a block cannot start at or above a prose line from there on (it could
    neither skip that line nor contain it). So only the last lines are ever tested.
    """
    clean = [False] * (len(lines) + 1)
    clean[len(lines)] = True
    others, longest = 0, 0
    for e in range(len(lines) - 1, -1, -1):
        line = lines[e]
        if line.text and not line.footer():
            others, longest = others + 1, max(longest, len(line.text.split()))
        if others > 2 or longest > 12:
            return clean, _below_prose(lines, e)
        clean[e] = True
    return clean, 0


def _below_prose(lines: list[Line], e: int) -> int:
    """The index after the last sentence at or above line ``e`` (footers are not sentences;
    the footer test, the dearer one, is only run on the lines that read as prose)."""
    for p in range(e, -1, -1):
        line = lines[p]
        if line.text and line.prose() and not line.footer():
            return p + 1
    return 0


def _trailing_block(
    lines: list[Line], display: str | None, suffixes: tuple[list[bool], int]
) -> tuple[int, int] | None:
    """Without a marker: a trailing block opened by the sender's name or a name + contacts."""
    folded = fold(display) if display else ""
    clean, first = suffixes
    for i in range(first, len(lines)):
        line = lines[i]
        if not clean[min(len(lines), i + MAX_SIG_LINES + 1)] or not _may_open(line):
            continue
        named = bool(folded) and name_score(line.lead(), folded) >= NAME_MATCH
        if not named and not looks_like_name(line.lead()):
            continue
        end = _block_end(lines, i)
        if end <= i or not clean[end] or not _plausible(lines, i, end, strict=True):
            continue
        if named or line.separated() or any(other.evidence() for other in lines[i:end]):
            return _extend_up(lines, i), end
    return None


def _closing_block(
    lines: list[Line], suffixes: tuple[list[bool], int], sender: str | None, email: str
) -> tuple[int, int] | None:
    """Without a marker or a block: the last paragraph, if it is a closing that names
    the sender, maybe followed by contact lines ("Bert"; "Thanks, BT"; "Thanks, Ann Lee"
    over "713-555-0134"; the sender's own address over a phone number).

    The closing must stand apart from the text above it (a blank line), end the text
    (only footers and attachments below it: a closing above a P.S. is the author's
    text) and be the sender's (``signs_as``), so a list of names or a greeting to the
    reader is not read as a signature.
    """
    last = len(lines)
    while last > 0 and _after_text(lines[last - 1]):
        last -= 1
    i = last - 1
    while i > 0 and lines[i - 1].text:
        i -= 1
    if i <= 0 or i < suffixes[1] or not _closing_opens(lines[i], sender, email):
        return None
    end = _block_end(lines, i)
    if end != _next_blank(lines, i) or not all(line.contact() for line in lines[i + 1 : end]):
        return None
    return i, end


def _after_text(line: Line) -> bool:
    """What may follow the text's end: blank lines, footers and attachment lines."""
    return not line.text or line.footer() or is_attachment(line.text)


def _closing_opens(line: Line, sender: str | None, email: str) -> bool:
    """A closing line naming the sender, or the sender's own address."""
    if not _may_open(line):
        return False
    if email and fold(line.text) == email:
        return True
    name = after_signoff(line.text)
    name = line.text if name is None else name
    return closing_name(name) and signs_as(name, sender)


def _company_block(
    lines: list[Line], suffixes: tuple[list[bool], int], org: str
) -> tuple[int, int] | None:
    """Without a marker or a name: a short trailing paragraph that names the sender's
    own company (``org``, its domain's label) by its legal form near its top and gives a
    phone or an email ("Acme Trading, Inc." / "Ph: ..." / "Email: ...").

    Desks, law firms and shared mailboxes sign with the organisation instead of a
    person; a paragraph of a few field lines that holds both is their signature (a
    long one is a record or a form, whatever words it holds). Another company's block
    (a supplier recommended at the end of a message) is not the sender's signature.
    """
    clean, first = suffixes
    i = _next_content(lines, first)
    while i < len(lines):
        stop = _next_blank(lines, i)
        paragraph = lines[i:stop]
        if clean[min(len(lines), i + MAX_SIG_LINES + 1)] and _company_paragraph(paragraph, org):
            end = _block_end(lines, i) if _may_open(lines[i]) else i
            if end > i and clean[end] and _plausible(lines, i, end, strict=False):
                block = [line for line in lines[i:end] if line.text]
                if len(block) <= _CONTACT_BLOCK and any(
                    has_phone(line.text) or has_email(line.text) for line in block
                ):
                    return i, end
        i = _next_content(lines, stop)
    return None


def _company_paragraph(paragraph: list[Line], org: str) -> bool:
    """A few lines with a contact line, and among the first three a legal form naming
    ``org`` (cheapest tests first: a phone needs digits and an email an "@")."""
    if len(paragraph) > _CONTACT_BLOCK or not _may_hold_contact(paragraph):
        return False
    if not any(line.contact() for line in paragraph):
        return False
    return any(
        has_legal_form(line.text) and matches_domain(line.text, org) for line in paragraph[:3]
    )


def _organisation(sender_email: str) -> str:
    """The label of the sender's domain ("acme" for jo@mail.acme.co.uk), or "" for web
    mail and unknown domains, whose senders have no organisation to sign for."""
    domain = sender_email.rpartition("@")[2]
    label = registrable_name(domain) if domain else ""
    return "" if len(label) < MIN_LABEL or label in FREE_MAIL_LABELS else label


def _may_hold_contact(paragraph: list[Line]) -> bool:
    """A phone needs seven digits and an email an "@": one cheap look (translate runs in
    C) before the line tests."""
    joined = "".join(line.text for line in paragraph)
    return "@" in joined or len(joined) - len(joined.translate(_NO_DIGITS)) >= _PHONE_DIGITS


def _next_blank(lines: list[Line], i: int) -> int:
    while i < len(lines) and lines[i].text:
        i += 1
    return i


def _may_open(line: Line) -> bool:
    """Short enough to be a name line (or a one-line signature), and no footer or prose
    (prose first: the footer test is the dearer one)."""
    if not line.text or (len(line.text.split(maxsplit=8)) > 8 and not line.separated()):
        return False
    lead = line.lead()
    return bool(lead) and len(lead) <= MAX_NAME and not line.prose() and not line.footer()


def _extend_up(lines: list[Line], start: int) -> int:
    """Company and title lines written above the name (Japanese order: company, unit, name)."""
    while start > 0:
        above = lines[start - 1]
        if not above.text or above.prose() or above.signoff() or above.rule or above.footer():
            break
        if not (has_legal_form(above.text) or above.title()):
            break
        start -= 1
    return start


def _restated(lines: list[Line], start: int, end: int) -> tuple[int, int]:
    """The block to keep when a first name or initials close the text above it.

    In "Cheers,\nIna\n\nIna Berg | Head of Community | ..." (or "adr" above "Ann D.
    Reyes") the bare "Ina" belongs to the closing, and the signature is the block below
    that spells the name out again.
    """
    nxt = _next_content(lines, start + 1)
    if nxt == start + 1 or nxt >= len(lines) or lines[start].evidence():
        return start, end
    if not _spells_out(lines[start].lead(), lines[nxt].lead()):
        return start, end
    below = max(end, _block_end(lines, nxt))
    return (nxt, below) if _plausible(lines, nxt, below, strict=True) else (start, end)


def _spells_out(closing: str, name: str) -> bool:
    """ "Ina" / "ib" and "Ina Berg": the first name again, or the initials of the name."""
    short = fold(closing.strip("-–—/ ")).split()
    full = fold(name).split()
    if not short or len(full) <= len(short):
        return False
    initials = "".join(word[0] for word in full)
    return short[0] in full or (len(short) == 1 and short[0] == initials)


def is_automated(sender_email: str) -> bool:
    """noreply@, notifications@, billing@ ...: machine mail carries no personal signature."""
    local = sender_email.partition("@")[0] if "@" in sender_email else ""
    return bool(_AUTOMATED_LOCAL.match(local))


def _locate(
    lines: list[Line], display: str | None, sender_email: str
) -> tuple[int, int] | None:
    """Marker, vCard, then trailing block; a block at the very end that spells out a bare
    closing name further up wins ("Cheers,\n-Ann\n\nP.S. ...\n\nAnn Reyes\nCTO"),
    and so does the sender's contact block above a bare closing name."""
    found = _marker_signature(lines) or _vcard_block(lines)
    if found and any(line.evidence() for line in lines[found[0] : found[1]]):
        return found
    suffixes = _clean_suffixes(lines)
    trailing = _trailing_block(lines, display, suffixes)
    closing = found or trailing
    if closing is None:
        return _unnamed_block(lines, suffixes, display, sender_email)
    if not found or not trailing:
        return _contact_block_above(lines, closing, display) or closing
    below = trailing[0] >= found[1]
    restated = below and _spells_out(lines[found[0]].lead(), lines[trailing[0]].lead())
    return trailing if restated else found


def _unnamed_block(
    lines: list[Line], suffixes: tuple[list[bool], int], display: str | None, email: str
) -> tuple[int, int] | None:
    """No marker and no name-led block: a closing naming the sender, else the sender's
    company's block."""
    sender = display or name_from_local_part(email)
    closing = _closing_block(lines, suffixes, sender, email)
    if closing:
        return closing
    org = _organisation(email)
    return _company_block(lines, suffixes, org) if org else None


def _contact_block_above(
    lines: list[Line], closing: tuple[int, int], display: str | None
) -> tuple[int, int] | None:
    """The sender's own contact block written above a bare closing name.

    "My details:" / "Ann Reyes" / title, address, "Phone: ..." / "Email: ...", then a
    paragraph and "Ann": the block names the sender and gives two ways to reach them,
    so it is their signature, and the closing name only ends the text. A block naming
    anybody else is not the sender's.
    """
    if not display or closing[1] - closing[0] != 1:
        return None
    folded = fold(display)
    words = [word for word in folded.split() if len(word) > 2]
    for i in range(closing[0] - 1, -1, -1):
        line = lines[i]
        if not line.text or len(line.text) > MAX_NAME or (i > 0 and lines[i - 1].text):
            continue
        lead = fold(line.lead())
        if not any(word in lead for word in words):
            continue  # shares no word with the sender's name: the fuzzy match is not needed
        if name_score(line.lead(), folded) < NAME_MATCH or not _may_open(line):
            continue
        end = _block_end(lines, i)
        reach = sum(has_phone(x.text) or has_email(x.text) for x in lines[i:end])
        if end < closing[0] and reach >= 2 and _plausible(lines, i, end, strict=True):
            return None if lines[closing[0]].evidence() else (i, end)
    return None


def find_signature(
    new_text: str, sender_name: str = "", sender_email: str = ""
) -> Signature | None:
    """Locate the sender's signature at the end of ``new_text`` (None if there is none)."""
    if is_automated(sender_email or ""):
        return None
    lines = read_tail(new_text or "")
    display = clean_display_name(sender_name or "", sender_email or "")
    found = _locate(lines, display, sender_email or "")
    span = _restated(lines, *found) if found else None
    unlink(lines)
    if span is None:
        return None
    start, end = span
    first, last = lines[start], lines[end - 1]
    finish = last.start + len(last.text)
    return Signature(text=new_text[first.start : finish], start=first.start)
