"""One user's Gmail mailbox in memory: raw messages, labels, threads and history.

Gmail's model (shared/REMOTE-APIS.md §1): a message has an immutable id, a threadId,
labels (``SENT``, ``INBOX``, ``TRASH``, user labels ``Label_n``), ``internalDate``
(epoch ms) and the ``historyId`` of the last change to it. Every change appends a
history record; ids grow with random gaps (never contiguous) and only records at or
after ``history_floor`` are kept: an older ``startHistoryId`` is answered 404, which a
test provokes with :meth:`Mailbox.expire_history`.

Threading follows Gmail closely enough for a CRM: a message joins the thread of the
message its ``In-Reply-To``/``References`` name, if this mailbox holds it.
"""

from __future__ import annotations

import email
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

SYSTEM_LABELS = ("INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED",
                 "IMPORTANT", "CHAT", "CATEGORY_PERSONAL", "CATEGORY_SOCIAL",
                 "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    raw: bytes
    labels: list[str]
    internal_date: int
    history_id: int
    parsed: Message = field(repr=False)
    renderings: dict[tuple[str, ...], Any] = field(default_factory=dict, repr=False)
    """Payloads already rendered per format: a stored message never changes, and
    rendering it again for every read made the fake, not syncd, the bottleneck of
    bench/google.py."""

    def ref(self) -> dict[str, Any]:
        """The short form history records embed."""
        return {"id": self.id, "threadId": self.thread_id, "labelIds": list(self.labels)}


@dataclass(frozen=True)
class HistoryRecord:
    id: int
    kind: str  # messageAdded | messageDeleted | labelAdded | labelRemoved
    message: dict[str, Any]
    label_ids: tuple[str, ...] = ()


def message_ids() -> Iterator[str]:
    """Gmail-looking ids (16 hex digits), unique across all mailboxes of a fake."""
    number = 0x18C2A0B4D0000000
    while True:
        number += 0x1F3
        yield f"{number:016x}"


class Mailbox:
    """The mutable state behind ``users/{userId}/...`` for one user."""

    def __init__(self, address: str, ids: Iterator[str], clock: Callable[[], float]) -> None:
        self.email = address.lower()
        self.messages: dict[str, StoredMessage] = {}
        self.history: list[HistoryRecord] = []
        self.labels: dict[str, str] = {}  # user labels: id -> name
        self._ids, self._clock = ids, clock
        self._random = random.Random(address)
        self.history_id = 1_000_000 + self._random.randrange(1000)
        self.history_floor = 0
        self._threads: dict[str, str] = {}  # Message-ID header -> threadId

    def add(self, raw: bytes, labels: Iterable[str] | None = None, *,
            thread_id: str | None = None, internal_date: int | None = None) -> str:
        """Deliver ``raw`` (RFC 822 bytes); returns the new message id.

        Labels default to ``SENT`` for mail from the owner, else ``INBOX UNREAD``;
        ``internal_date`` (epoch ms) defaults to the Date header, else the clock."""
        parsed = email.message_from_bytes(raw, policy=compat32)
        message_id = next(self._ids)
        chosen = list(labels) if labels is not None else self._default_labels(parsed)
        thread = thread_id or self._thread_of(parsed) or message_id
        stored = StoredMessage(message_id, thread, raw, chosen,
                               internal_date if internal_date is not None
                               else _date_ms(parsed, self._clock), 0, parsed)
        self.messages[message_id] = stored
        for header_id in _MESSAGE_ID.findall(parsed.get("Message-ID", "")):
            self._threads.setdefault(header_id, thread)
        self._record("messageAdded", stored)
        return message_id

    def delete(self, message_id: str) -> None:
        """Permanent deletion (not Trash, which is ``change_labels(add=["TRASH"])``)."""
        stored = self.messages.pop(message_id)
        self._record("messageDeleted", stored)

    def change_labels(self, message_id: str, add: Iterable[str] = (),
                      remove: Iterable[str] = ()) -> None:
        stored = self.messages[message_id]
        added = [label for label in add if label not in stored.labels]
        removed = [label for label in remove if label in stored.labels]
        stored.labels += added
        stored.labels = [label for label in stored.labels if label not in removed]
        if added:
            self._record("labelAdded", stored, added)
        if removed:
            self._record("labelRemoved", stored, removed)

    def create_label(self, name: str) -> str:
        label_id = f"Label_{len(self.labels) + 1}"
        self.labels[label_id] = name
        return label_id

    def expire_history(self, before: int | None = None) -> None:
        """Forget history records older than ``before`` (default: all of them, so any
        history id handed out so far is now too old)."""
        self.history_floor = self.history_id + 1 if before is None else before
        self.history = [record for record in self.history if record.id >= self.history_floor]

    def _record(self, kind: str, stored: StoredMessage, labels: Iterable[str] = ()) -> None:
        self.history_id += 1 + self._random.randrange(7)
        stored.history_id = self.history_id
        self.history.append(HistoryRecord(self.history_id, kind, stored.ref(), tuple(labels)))

    def _default_labels(self, parsed: Message) -> list[str]:
        senders = [address.lower() for _, address in getaddresses(parsed.get_all("From", []))]
        return ["SENT"] if self.email in senders else ["INBOX", "UNREAD"]

    def _thread_of(self, parsed: Message) -> str | None:
        named = _MESSAGE_ID.findall(" ".join(parsed.get_all("In-Reply-To", []) +
                                             parsed.get_all("References", [])))
        for header_id in reversed(named):
            if header_id in self._threads:
                return self._threads[header_id]
        return None


def _date_ms(parsed: Message, clock: Callable[[], float]) -> int:
    try:
        return int(parsedate_to_datetime(parsed.get("Date", "")).timestamp() * 1000)
    except (TypeError, ValueError):
        return int(clock() * 1000)
