"""What to fetch of a message, from its BODYSTRUCTURE, and how to make it an item.

Pure functions over parsed FETCH responses (``connectors.imap_wire``: lists are
tuples), so they are tested with literal structures. A CRM needs the header fields
classification reads and the first text/plain and text/html parts; an attachment
is never fetched (RFC 3501 section 6.4.5: ``BODY.PEEK[<part>]<0.<cap>>`` reads one
part, capped, without setting ``\\Seen``).

BODYSTRUCTURE of a leaf (RFC 3501 section 7.4.2): type, subtype, parameters, id,
description, encoding, size, then for ``text/*`` the line count, then the optional
extension data: MD5, disposition, language, location. A multipart is a list of
parts followed by its subtype.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from connectors.base import RawMessage
from connectors.rfc822 import parse_message
from enrichment.mime import decode_payload

HEADER_FIELDS = (
    "DATE", "FROM", "SENDER", "TO", "CC", "BCC", "REPLY-TO", "SUBJECT", "MESSAGE-ID",
    "IN-REPLY-TO", "REFERENCES", "LIST-UNSUBSCRIBE", "LIST-ID", "LIST-POST", "PRECEDENCE",
    "AUTO-SUBMITTED", "RETURN-PATH", "X-AUTOREPLY", "X-AUTORESPOND", "X-MAILER",
    "FEEDBACK-ID", "X-CAMPAIGN", "X-MAILGUN-TAG", "X-SES-OUTGOING", "X-SG-EID", "X-MC-USER",
)
HEADER_ITEM = f"BODY.PEEK[HEADER.FIELDS ({' '.join(HEADER_FIELDS)})]"
MAX_DEPTH = 20
MIN_PLAIN_BYTES = 16
"""A plain part smaller than this is a placeholder; the HTML part is fetched too."""


@dataclass(frozen=True)
class TextPart:
    """A text part to fetch: where it is, and how to decode it."""

    section: str
    subtype: str
    encoding: str
    charset: str | None
    size: int = 0

    def item(self, cap: int) -> str:
        return f"BODY.PEEK[{self.section}]<0.{cap}>"

    def key(self) -> bytes:
        """The response key for :meth:`item` (the origin octet is kept)."""
        return f"BODY[{self.section}]<0>".encode()


def fetch_plan(parts: Mapping[int, tuple[TextPart, ...]], cap: int
               ) -> dict[tuple[str, ...], list[int]]:
    """The body FETCH commands of a batch: the items to ask for, and for which UIDs.

    Messages are grouped by the sections they need, not by the parts' sizes or
    charsets, so a batch costs a handful of commands (most mail is section 1 or
    1.1) rather than one per message.
    """
    plan: dict[tuple[str, ...], list[int]] = {}
    for uid, wanted in parts.items():
        if wanted:
            plan.setdefault(tuple(p.item(cap) for p in wanted), []).append(uid)
    return plan


def text_parts(structure: Any) -> tuple[TextPart, ...]:
    """The first text/plain part that is not an attachment; the first text/html part
    only when there is no plain one with text in it (the pipeline prefers the plain
    part, so fetching the HTML copy too would double the bytes for nothing)."""
    found: dict[str, TextPart] = {}
    for part in _leaves(structure, "", 0):
        if part.subtype not in found:
            found[part.subtype] = part
    plain = found.get("plain")
    if plain is not None and plain.size >= MIN_PLAIN_BYTES:
        return (plain,)
    return tuple(found.values())


def _leaves(node: Any, prefix: str, depth: int) -> Iterator[TextPart]:
    if depth > MAX_DEPTH or not isinstance(node, tuple) or not node:
        return
    if isinstance(node[0], tuple):  # multipart: (part)(part)... subtype (params) ...
        children = itertools.takewhile(lambda child: isinstance(child, tuple), node)
        for number, child in enumerate(children, start=1):
            yield from _leaves(child, f"{prefix}{number}.", depth + 1)
        return
    leaf = _text_leaf(node, prefix.rstrip(".") or "1")
    if leaf is not None:
        yield leaf


def _text_leaf(node: Sequence[Any], section: str) -> TextPart | None:
    kind, subtype = _lower(node[0]), _lower(node[1]) if len(node) > 1 else ""
    if kind != "text" or subtype not in {"plain", "html"} or _is_attachment(node):
        return None
    params = _params(node[2] if len(node) > 2 else None)
    encoding = _lower(node[5]) if len(node) > 5 else "7bit"
    size = node[6] if len(node) > 6 and isinstance(node[6], int) else 0
    return TextPart(section, subtype, encoding or "7bit", params.get("charset"), size)


def _is_attachment(node: Sequence[Any]) -> bool:
    """``text/*`` leaves carry the line count at 7, MD5 at 8, disposition at 9."""
    disposition = node[9] if len(node) > 9 else None
    return isinstance(disposition, tuple) and bool(disposition) and \
        _lower(disposition[0]) == "attachment"


def _params(value: Any) -> dict[str, str]:
    if not isinstance(value, tuple):
        return {}
    pairs = zip(value[::2], value[1::2], strict=False)
    return {_lower(k): _text(v) for k, v in pairs}


def _lower(value: Any) -> str:
    return _text(value).lower()


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return "" if value is None else str(value)


def message_from(external_id: str, folder: str, headers: bytes,
                 parts: Sequence[TextPart], fetched: Mapping[bytes, Any]) -> RawMessage:
    """A RawMessage from the header fields and the text parts, decoded from
    ``fetched`` (the message's body FETCH answer; a part the server did not send
    counts as empty).

    The header block goes through the same parser as files do, so an address or a
    date means the same whichever connector delivered it. Raises BadItemError.
    """
    message = parse_message(headers.rstrip(b"\r\n") + b"\r\n\r\n",
                            external_id=external_id, folder=folder)
    decoded = {part.subtype: decode_payload(_bytes(fetched.get(part.key())), part.encoding,
                                            part.charset)
               for part in parts}
    return replace(message, text=decoded.get("plain", ""), html=decoded.get("html", ""))




def _bytes(value: Any) -> bytes:
    """A body section as sent: a literal, a quoted string, or NIL for nothing."""
    return value if isinstance(value, bytes) else b""
