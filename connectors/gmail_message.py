"""One Gmail ``messages.get`` answer -> one :class:`~connectors.base.Item`.

``format=raw`` (bodies kept) is read by :func:`connectors.rfc822.parse_message`
exactly as IMAP, Maildir and mbox mail is. ``format=metadata`` (``gmail.metadata``:
no text kept) carries only ``payload.headers``; :func:`header_block` sets them out
again as a header block for the same parser, so one message gives the same
:class:`RawMessage` either way, less its text. Gmail sends each value as in the
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
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from connectors.base import BadItem, Item, RawMessage
from connectors.rfc822 import parse_message
from syncd.errors import BadItemError

SKIPPED_LABELS = frozenset({"DRAFT", "SPAM", "TRASH", "CHAT"})
RAW_FIELDS = "id,threadId,labelIds,raw"
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


def header_block(headers: Sequence[dict[str, str]]) -> bytes:
    """Gmail's ``payload.headers`` set out again as a message's header block.

    Gmail gives each value as in the message, unfolded, encoded words and all, so
    the parser decodes them exactly as from the raw message; text that Gmail had
    decoded itself would still parse, as UTF-8 header text (RFC 6532)."""
    lines = (f"{header['name']}: {header['value']}".replace("\r", " ").replace("\n", " ")
             for header in headers)
    return ("".join(f"{line}\r\n" for line in lines) + "\r\n").encode("utf-8", "replace")


def _parse_raw(resource: dict[str, Any], external_id: str) -> RawMessage | BadItem:
    text = str(resource.get("raw", ""))
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return parse_message(raw, external_id=external_id)
    except (binascii.Error, ValueError) as exc:
        return BadItem(external_id, f"Gmail sent no readable raw message: {exc}",
                       text[:65536].encode())
    except BadItemError as exc:
        return BadItem(external_id, f"Gmail message {resource['id']}: {exc}", raw[:65536])


def _parse_headers(resource: dict[str, Any], external_id: str) -> RawMessage | BadItem:
    block = header_block(resource.get("payload", {}).get("headers", []))
    try:
        return parse_message(block, external_id=external_id)
    except BadItemError as exc:
        return BadItem(external_id, f"Gmail message {resource['id']}: {exc}", block[:65536])


def to_item(resource: dict[str, Any], bodies: bool) -> Item | None:
    """The item a ``messages.get`` answer stands for (``format=raw`` when ``bodies``,
    else ``format=metadata``); None for what is not an interaction."""
    labels = tuple(resource.get("labelIds", []))
    if SKIPPED_LABELS & set(labels):
        return None
    read = _parse_raw if bodies else _parse_headers
    message = read(resource, f"gmail:{_hex(resource['id'])}")
    if isinstance(message, BadItem):
        return message
    thread = resource.get("threadId")
    return replace(message, thread_hint=_hex(thread) if thread else None, labels=labels,
                   sent_by_me="SENT" in labels)
