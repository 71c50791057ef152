"""Separate what the sender wrote in a message from the history it quotes.

Signature parsing and contact enrichment must only ever see the sender's own words:
a quoted message carries somebody else's signature, and reading it would attach a
stranger's phone number to the sender. The split is line-based and linear in the
length of the body. ``enrichment.quote_markers`` recognises where a quote opens; this
module decides what that means for the lines around it. A reply written above its
first quote is top-posted and ends there; a reply that starts with the quote
(bottom-posted, or interleaved after a mere salutation) keeps its text between and
below the "> " lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from enrichment.quote_markers import (
    attribution_at,
    hard_start,
    is_marked,
    is_quote,
    quoted_marker,
)

_QP_DEBRIS = re.compile(r"=20|=09|=$", re.MULTILINE)
_QP_SPACE = {"=20": " ", "=09": "\t"}
_RULE = re.compile(r"^\s*(?:_{8,}|-{8,}|={8,}|\*{8,})\s*$")


@dataclass(frozen=True)
class Reply:
    """The sender's own text and everything it quotes or forwards."""

    new_text: str
    quoted: str


def _wrapped_quote(lines: list[str], i: int) -> bool:
    """A short unprefixed line between "> " lines is a quoted line the client re-wrapped.

    Only a lower-case fragment after a long quoted line counts, so a one-line answer
    interleaved between quotes ("Yes.") stays new text.
    """
    text = lines[i].strip()
    if not text or len(text) > 40 or text[0].isupper() or is_quote(lines[i]):
        return False
    return _quote_near(lines, i, -1) and _quote_near(lines, i, 1)


def _quote_near(lines: list[str], i: int, step: int) -> bool:
    for j in (i + step, i + 2 * step):
        if not 0 <= j < len(lines) or not lines[j].strip():
            return False
        if is_quote(lines[j]):
            return step > 0 or len(lines[j]) >= 60
    return False


def _back_over_rule(lines: list[str], i: int, floor: int) -> int:
    """Include the "______" rule Outlook draws above a header block in the quote."""
    j = i - 1
    while j >= floor and not lines[j].strip():
        j -= 1
    return j if j >= floor and _RULE.match(lines[j]) else i


def _next_content(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


_SALUTATION_MAX = 40


def _written_above(lines: list[str], i: int) -> bool:
    """Whether the sender wrote something above line ``i`` beyond a salutation.

    Such a reply is top-posted: the sender answers above the history, so whatever
    follows the first quote (footers, a signature below the quote, quoted lines the
    client re-wrapped without "> ") is not new writing. A lone short line ending in a
    comma or colon ("Hi Ana,") is a salutation that opens an interleaved reply.
    """
    above = [line.strip() for line in lines[:i] if line.strip() and not is_quote(line)]
    if len(above) != 1:
        return len(above) > 1
    return not (len(above[0]) <= _SALUTATION_MAX and above[0].endswith((",", "，", ":", "：")))


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def _undebris(text: str, lines: list[str]) -> list[str]:
    """The lines of ``text`` with quoted-printable left undecoded ("=20", "=09", a
    soft-break "=" at a line's end) read as the spaces it stands for, so that markers
    still match; ``lines`` itself when there is none. Line count is kept, so marker
    positions map back onto the original lines. Every form starts with "=", which most
    bodies lack: one scan for it spares them the two for the forms."""
    if "=" not in text or ("=20" not in text and "=09" not in text):
        return lines
    return _QP_DEBRIS.sub(lambda m: _QP_SPACE.get(m.group(), ""), text).split("\n")


def _quoted_lines(lines: list[str]) -> list[bool]:
    """For each line, whether it belongs to the quoted history.

    Only a line that is marked, or that precedes a marked one, can open a quote (see
    ``is_marked``); most lines of a body are neither, and they are only asked whether they
    are a quoted line the client re-wrapped, which keeps the scan cheap. Lines are only
    looked at up to where the history takes over, so a short reply on top of a long
    thread costs what the reply costs.
    """
    count = len(lines)
    is_quoted = [False] * count
    i, floor, seen = 0, 0, False
    here, below = is_marked(lines[0]), count > 1 and is_marked(lines[1])
    while i < count:
        if here or below:
            hard = hard_start(lines, i)
            span = 0 if hard else attribution_at(lines, i)
            first = not seen and bool(hard or span or quoted_marker(lines, i))
            if hard or (first and _written_above(lines, i)):
                start = _back_over_rule(lines, i, floor)
                is_quoted[start:] = [True] * (count - start)
                break
            seen = seen or first
            if span:
                nxt = _next_content(lines, i + span)
                end = i + span if nxt < count and is_quote(lines[nxt]) else count
                is_quoted[i:end] = [True] * (end - i)
                i = floor = end
                here = i < count and is_marked(lines[i])
                below = i + 1 < count and is_marked(lines[i + 1])
                continue
        # A re-wrapped fragment sits right under a quoted line (one of the two above).
        near = i > 0 and (is_quoted[i - 1] or (i > 1 and is_quoted[i - 2]))
        if (here and is_quote(lines[i])) or (near and _wrapped_quote(lines, i)):
            is_quoted[i] = True
            floor = i + 1
        i += 1
        here, below = below, i + 1 < count and is_marked(lines[i + 1])
    return is_quoted


def split_reply(text: str) -> Reply:
    """Split a plain-text body into the sender's new text and the quoted history.

    A reply written above its first quote marker is top-posted: everything from that
    marker on is history. Otherwise (bottom-posted or interleaved) "> " quoted lines
    and their attributions are dropped wherever they are, so the new text below or
    between the quotes survives. Forward and header-block markers always quote
    everything after them, since what follows is never the sender's writing.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    is_quoted = _quoted_lines(_undebris(text, lines))
    first = is_quoted.index(True) if True in is_quoted else len(lines)
    if all(is_quoted[first:]):  # nothing quoted, or everything from one line on
        return Reply(new_text=_join(lines[:first]), quoted=_join(lines[first:]))
    new = [line for line, q in zip(lines, is_quoted, strict=True) if not q]
    old = [line for line, q in zip(lines, is_quoted, strict=True) if q]
    return Reply(new_text=_join(new), quoted=_join(old))
