"""One Gmail ``messages.get`` answer -> one :class:`~connectors.base.Item`.

``format=full`` (bodies kept) carries the MIME tree Gmail parsed: the top-level
``payload.headers`` and, for each part, its headers and ``body.data`` (base64url of
the transfer-decoded bytes), except attachments, which come as an
``attachmentId`` only, so their bytes never cross the wire. ``format=metadata``
(``gmail.metadata``: no text kept) carries only ``payload.headers``. Either way
:func:`header_block` sets the headers out again as a header block for
:func:`connectors.rfc822.parse_message`, which reads IMAP, Maildir and mbox mail, so
one message gives the same :class:`RawMessage` whichever way it came; with
``full`` the first text/plain and text/html parts that are not attachments become
its text, decoded by their charset as the parser would. Gmail sends each value as in the
message, unfolded (line breaks removed, folding whitespace kept), encoded words
still encoded, names in their original case, repeated fields repeated
(shared/REMOTE-APIS.md §1); the parser keeps the first copy of a field either way.

The id names the copy (``gmail:<hex>``, as the IMAP connector names it from
X-GM-MSGID), ``threadId`` is the thread hint, the ``SENT`` label says the owner sent
it. Drafts, spam, trash and chats are not interactions and are skipped.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from connectors.base import BadItem, Item, RawMessage
from connectors.rfc822 import MAX_DEPTH, parse_message
from enrichment.mime import decode_payload
from syncd.errors import BadItemError

_CHARSET = re.compile(r'charset\s*=\s*"?([^";\s]+)', re.IGNORECASE)
SKIPPED_LABELS = frozenset({"DRAFT", "SPAM", "TRASH", "CHAT"})
FULL_FIELDS = "id,threadId,labelIds,internalDate,payload"
MINIMAL_FIELDS = "id,labelIds,internalDate"
"""What a ``format=minimal`` read keeps: enough to name, skip and date a message."""
TEXT_CAP = 262144
"""Bytes of a text part kept, as for every other connector."""
METADATA_FIELDS = "id,threadId,labelIds,internalDate,payload/headers"
METADATA_HEADERS = (
    "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Date", "Subject", "Message-ID",
    "In-Reply-To", "References", "List-Unsubscribe", "List-Id", "List-Post", "Precedence",
    "Auto-Submitted", "Return-Path", "X-Auto-Response-Suppress", "X-Autoreply",
    "X-Autorespond", "X-Mailer", "Feedback-ID", "X-Campaign", "X-Mailgun-Tag",
    "X-SES-Outgoing", "X-SG-EID", "X-MC-User")
"""What :func:`connectors.rfc822.parse_message` reads of a message, less the MIME
fields that only matter to a body."""


def _hex(gmail_id: str) -> str:
    """Gmail's id without leading zeros, as the IMAP connector prints X-GM-MSGID."""
    try:
        return format(int(gmail_id, 16), "x")
    except ValueError:
        return gmail_id


def external_id(gmail_id: str) -> str:
    """The name of the copy whose Gmail id is ``gmail_id``, as every Gmail reader gives it."""
    return f"gmail:{_hex(gmail_id)}"


def header_block(headers: Sequence[dict[str, str]]) -> bytes:
    """Gmail's ``payload.headers`` set out again as a message's header block.

    Gmail gives each value as in the message, unfolded, encoded words and all, so
    the parser decodes them exactly as from the raw message; text that Gmail had
    decoded itself would still parse, as UTF-8 header text (RFC 6532)."""
    lines = (f"{header['name']}: {header['value']}".replace("\r", " ").replace("\n", " ")
             for header in headers)
    return ("".join(f"{line}\r\n" for line in lines) + "\r\n").encode("utf-8", "replace")


def _parse_full(resource: dict[str, Any], external_id: str) -> RawMessage | BadItem:
    payload = resource.get("payload", {})
    message = _parse_headers(resource, external_id)
    if isinstance(message, BadItem):
        return message
    texts: dict[str, str] = {}
    try:
        for part in _leaves(payload):
            kind = str(part.get("mimeType", "")).lower()
            if kind in {"text/plain", "text/html"} and kind not in texts \
                    and not _attachment(part) and "data" in part.get("body", {}):
                texts[kind] = _decoded(part)
    except (binascii.Error, ValueError) as exc:
        return BadItem(external_id, f"Gmail message {resource['id']}: unreadable part: {exc}",
                       header_block(payload.get("headers", []))[:65536])
    return replace(message, text=texts.get("text/plain", ""), html=texts.get("text/html", ""))


def _leaves(part: dict[str, Any], depth: int = 0) -> Iterator[dict[str, Any]]:
    """The parts in MIME order, depth first; a message/rfc822 part is not entered
    (a forwarded message's text is not this message's)."""
    children = part.get("parts")
    if not children or str(part.get("mimeType", "")).lower() == "message/rfc822":
        yield part
    elif depth < MAX_DEPTH:
        for child in children:
            yield from _leaves(child, depth + 1)


def _attachment(part: dict[str, Any]) -> bool:
    """As the parser decides: a file name, or ``Content-Disposition: attachment``."""
    return bool(part.get("filename")) or any(
        h.get("name", "").lower() == "content-disposition"
        and h.get("value", "").split(";")[0].strip().lower() == "attachment"
        for h in part.get("headers", []))


def _decoded(part: dict[str, Any]) -> str:
    data = str(part["body"]["data"])
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))[:TEXT_CAP]
    content_type = next((h["value"] for h in part.get("headers", [])
                         if h.get("name", "").lower() == "content-type"), "")
    return decode_payload(raw, "", _charset(content_type))


def _charset(content_type: str) -> str | None:
    found = _CHARSET.search(content_type)
    return found.group(1) if found else None


def _parse_headers(resource: dict[str, Any], external_id: str) -> RawMessage | BadItem:
    block = header_block(resource.get("payload", {}).get("headers", []))
    try:
        return parse_message(block, external_id=external_id)
    except BadItemError as exc:
        return BadItem(external_id, f"Gmail message {resource['id']}: {exc}", block[:65536])


def to_item(resource: dict[str, Any], bodies: bool) -> Item | None:
    """The item a ``messages.get`` answer stands for (``format=full`` when ``bodies``,
    else ``format=metadata``); None for what is not an interaction."""
    labels = tuple(resource.get("labelIds", []))
    if SKIPPED_LABELS & set(labels):
        return None
    read = _parse_full if bodies else _parse_headers
    message = read(resource, external_id(resource["id"]))
    if isinstance(message, BadItem):
        return message
    thread = resource.get("threadId")
    return replace(message, thread_hint=_hex(thread) if thread else None, labels=labels,
                   sent_by_me="SENT" in labels)
