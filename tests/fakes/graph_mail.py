"""One user's Outlook mailbox as Graph shows it: mail folders, messages in Graph's
JSON shape, and the delta sync state of each folder.

Messages are added as RFC 822 bytes (``tests/mailfactory.py`` makes them) and
rendered once into the ``message`` resource (V-doc ``resources/message.md``, fields in
shared/REMOTE-APIS.md §4): ``internetMessageId`` is the Message-ID header (the
cross-provider key), recipients are ``{"emailAddress": {"name", "address"}}``, dates
are ISO-8601 UTC with ``Z``, ``bodyPreview`` is the first 255 characters of the text,
``body`` is the HTML part when there is one (or text), ``uniqueBody`` and
``internetMessageHeaders`` only come when ``$select``-ed.

Each message carries a ``changeKey`` that changes with every edit; delta sync
compares them (see ``graph_delta.py``). Moving a message gives it a new id (Outlook
ids encode the folder; V-doc: "id ... may change if a message is moved"), so the
source folder's delta reports ``@removed`` and the target's a new message.
"""

from __future__ import annotations

import base64
import email
import html
import itertools
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

from tests.fakes.graph_delta import DeltaState

WELL_KNOWN = {"inbox": "Inbox", "sentitems": "Sent Items", "drafts": "Drafts",
              "deleteditems": "Deleted Items", "archive": "Archive", "junkemail": "Junk Email"}
# What a message answers without $select (uniqueBody and internetMessageHeaders
# only come when selected).
DEFAULT_FIELDS = ("createdDateTime", "lastModifiedDateTime", "changeKey", "categories",
                  "receivedDateTime", "sentDateTime", "hasAttachments", "internetMessageId",
                  "subject", "bodyPreview", "importance", "parentFolderId", "conversationId",
                  "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead", "isDraft",
                  "webLink", "inferenceClassification", "body", "sender", "from",
                  "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "flag")
BODY_FIELDS = frozenset({"body", "bodyPreview", "uniqueBody"})
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def opaque_id(prefix: str, numbers: Iterator[int]) -> str:
    """An id shaped like Outlook's: long URL-safe base64 with ``-``, ``_`` and ``=``
    (so a client that forgets to quote ids in a path fails)."""
    raw = b"\x00\x00\x1b\x9c" + next(numbers).to_bytes(6, "big") + secrets.token_bytes(40)
    return prefix + base64.urlsafe_b64encode(raw).decode()


@dataclass
class Folder:
    id: str
    display_name: str
    well_known: str | None
    delta: DeltaState = field(default_factory=DeltaState)

    def resource(self, total: int, unread: int) -> dict[str, Any]:
        return {"id": self.id, "displayName": self.display_name, "parentFolderId": None,
                "childFolderCount": 0, "unreadItemCount": unread, "totalItemCount": total,
                "isHidden": False}


@dataclass
class StoredMessage:
    id: str
    folder: str
    raw: bytes
    received: datetime
    conversation_id: str
    change_key: str
    is_read: bool = False
    categories: list[str] = field(default_factory=list)

    @property
    def received_text(self) -> str:
        return graph_time(self.received)


class _Text(HTMLParser):
    """HTML to text, roughly as Outlook's body-content-type=text does."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "head"}:
            self._skip += 1
        elif tag in {"br", "p", "div", "tr", "li"}:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head"}:
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip() + "\n"


def _decoded(value: object) -> str:
    """An RFC 2047 header value as text (Graph answers decoded subjects and names)."""
    if "=?" not in str(value):
        return str(value)
    try:
        return str(make_header(decode_header(str(value))))
    except (ValueError, LookupError):
        return str(value)


def _recipients(parsed: Message, header: str) -> list[dict[str, Any]]:
    return [{"emailAddress": {"name": _decoded(name) if name else address,
                              "address": address}}
            for name, address in getaddresses([str(v) for v in parsed.get_all(header, [])])
            if address]


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        return payload.decode(part.get_content_charset() or "utf-8", "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def _bodies(parsed: Message) -> tuple[str | None, str | None, bool]:
    """(first HTML part, first text part, has attachments) of a parsed message."""
    html_body = text_body = None
    attachments = False
    for part in parsed.walk():
        if part.is_multipart():
            continue
        if str(part.get("Content-Disposition", "")).lower().startswith("attachment"):
            attachments = True
        elif part.get_content_type() == "text/html" and html_body is None:
            html_body = _text_of(part)
        elif part.get_content_type() == "text/plain" and text_body is None:
            text_body = _text_of(part)
    return html_body, text_body, attachments


class Mailbox:
    """The mutable state behind ``/users/{id}/mailFolders/...`` for one user."""

    def __init__(self, upn: str, object_id: str, clock: Callable[[], float],
                 numbers: Iterator[int]) -> None:
        self.upn, self.object_id = upn.lower(), object_id
        self._clock, self._numbers = clock, numbers
        self.folders: dict[str, Folder] = {}
        self.messages: dict[str, StoredMessage] = {}
        self._threads: dict[str, str] = {}  # Message-ID -> conversationId
        self._versions = itertools.count(1)
        # rendering parses MIME: cached per (id, changeKey, text) for the benchmarks
        self._rendered: dict[tuple[str, str, bool], dict[str, Any]] = {}
        for well_known, name in WELL_KNOWN.items():
            folder_id = opaque_id("AQMkAD", numbers)
            self.folders[folder_id] = Folder(folder_id, name, well_known)

    # -- folders --------------------------------------------------------------------
    def folder(self, name_or_id: str) -> Folder:
        """A folder by id, well-known name (``inbox``, ``sentitems``...) or display
        name; KeyError when there is none."""
        for folder in self.folders.values():
            if name_or_id in (folder.id, folder.display_name) or (
                    folder.well_known and folder.well_known == name_or_id.lower()):
                return folder
        raise KeyError(name_or_id)

    def add_folder(self, display_name: str) -> str:
        folder_id = opaque_id("AAMkAD", self._numbers)
        self.folders[folder_id] = Folder(folder_id, display_name, None)
        return folder_id

    # -- messages -------------------------------------------------------------------
    def add(self, raw: bytes, folder: str | None = None, *,
            received: datetime | None = None, is_read: bool = False) -> str:
        """Deliver ``raw`` (RFC 822 bytes) into ``folder`` (default: Sent Items for
        mail from the owner, else Inbox); returns the Graph message id.
        ``received`` defaults to the Date header, else the clock."""
        # headers only, compat32: the full MIME parse waits for the first render, so
        # a benchmark can load 10,000 messages quickly
        parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
        if folder is None:
            senders = [a.lower() for _, a in getaddresses([str(v) for v in
                                                            parsed.get_all("From", [])])]
            folder = "sentitems" if self.upn in senders else "inbox"
        target = self.folder(folder)
        stored = StoredMessage(opaque_id("AAMkAG", self._numbers), target.id, raw,
                               received or _date(parsed, self._clock),
                               self._conversation(parsed), self._change_key(),
                               is_read)
        self.messages[stored.id] = stored
        return stored.id

    def update(self, message_id: str, *, is_read: bool | None = None,
               categories: list[str] | None = None) -> None:
        """An edit the client should see as an updated item in the next delta round."""
        stored = self.messages[message_id]
        if is_read is not None:
            stored.is_read = is_read
        if categories is not None:
            stored.categories = list(categories)
        stored.change_key = self._change_key()

    def move(self, message_id: str, folder: str) -> str:
        """Move to another folder; returns the message's new id."""
        stored = self.messages.pop(message_id)
        stored.folder = self.folder(folder).id
        stored.id = opaque_id("AAMkAG", self._numbers)
        stored.change_key = self._change_key()
        self.messages[stored.id] = stored
        return stored.id

    def delete(self, message_id: str) -> None:
        """Hard delete (a soft delete is ``move(id, "deleteditems")``)."""
        del self.messages[message_id]

    def in_folder(self, folder_id: str) -> list[StoredMessage]:
        """Newest first, the order Outlook lists a folder in."""
        return sorted((m for m in self.messages.values() if m.folder == folder_id),
                      key=lambda m: m.received, reverse=True)

    def _change_key(self) -> str:
        return base64.b64encode(f"CQAAABYAAAD{next(self._versions):08d}".encode()).decode()

    def _conversation(self, parsed: Message) -> str:
        named = _MESSAGE_ID.findall(" ".join(str(v) for v in parsed.get_all("In-Reply-To", [])
                                             + parsed.get_all("References", [])))
        conversation = next((self._threads[n] for n in reversed(named) if n in self._threads),
                            None) or opaque_id("AAQkAD", self._numbers)
        for header_id in _MESSAGE_ID.findall(str(parsed.get("Message-ID", ""))):
            self._threads.setdefault(header_id, conversation)
        return conversation

    # -- rendering ------------------------------------------------------------------
    def resource(self, stored: StoredMessage, *, text_body: bool) -> dict[str, Any]:
        """Every property of the message resource (projection is the caller's)."""
        key = (stored.id, stored.change_key, text_body)
        if key not in self._rendered:
            self._rendered[key] = self._render(stored, text_body)
        return self._rendered[key]

    def _render(self, stored: StoredMessage, text_body: bool) -> dict[str, Any]:
        parsed = email.message_from_bytes(stored.raw, policy=compat32)
        html_body, plain_body, attachments = _bodies(parsed)
        text = (plain_body if plain_body is not None
                else html_to_text(html_body) if html_body is not None else "")
        if text_body or html_body is None:
            body = {"contentType": "text", "content": text}
        else:
            body = {"contentType": "html", "content": html_body}
        senders = _recipients(parsed, "From")
        sender = _recipients(parsed, "Sender") or senders
        folder = self.folders[stored.folder]
        sent = _date(parsed, self._clock)
        message_id = str(parsed.get("Message-ID", "")).strip() or None
        return {
            "@odata.type": "#microsoft.graph.message",
            "@odata.etag": f'W/"{stored.change_key}"',
            "id": stored.id,
            "createdDateTime": stored.received_text,
            "lastModifiedDateTime": stored.received_text,
            "changeKey": stored.change_key,
            "categories": list(stored.categories),
            "receivedDateTime": stored.received_text,
            "sentDateTime": graph_time(sent),
            "hasAttachments": attachments,
            "internetMessageId": message_id,
            "subject": _decoded(parsed.get("Subject", "")),
            "bodyPreview": " ".join(text.split())[:255],
            "importance": "normal",
            "parentFolderId": stored.folder,
            "conversationId": stored.conversation_id,
            "isDeliveryReceiptRequested": False,
            "isReadReceiptRequested": False,
            "isRead": stored.is_read,
            "isDraft": folder.well_known == "drafts",
            "webLink": "https://outlook.office365.com/owa/?ItemID="
                       f"{html.escape(stored.id)}&exvsurl=1&viewmodel=ReadMessageItem",
            "inferenceClassification": "focused",
            "body": body,
            "uniqueBody": dict(body),  # UNVERIFIED: Outlook would cut quoted history here
            "sender": sender[0] if sender else None,
            "from": senders[0] if senders else None,
            "toRecipients": _recipients(parsed, "To"),
            "ccRecipients": _recipients(parsed, "Cc"),
            "bccRecipients": _recipients(parsed, "Bcc"),
            "replyTo": _recipients(parsed, "Reply-To"),
            "flag": {"flagStatus": "notFlagged"},
            "internetMessageHeaders": [{"name": name, "value": _decoded(value)}
                                       for name, value in parsed.items()],
        }


def _date(parsed: Message, clock: Callable[[], float]) -> datetime:
    try:
        moment = parsedate_to_datetime(str(parsed.get("Date", "")))
    except (TypeError, ValueError):
        moment = None
    if moment is None:
        return datetime.fromtimestamp(int(clock()), UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
