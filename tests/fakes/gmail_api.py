"""Gmail API v1 handlers over :class:`~tests.fakes.gmail_store.Mailbox`.

Served under ``/gmail/v1/users/{userId}/`` (the discovery method paths carry that
prefix). Semantics from shared/REMOTE-APIS.md §1 and the discovery document:

- ``messages.list``: newest first; ``labelIds`` must all match; SPAM/TRASH left out
  unless ``includeSpamTrash``; ``maxResults`` default 100, clamped to 500; only
  ``id`` + ``threadId`` per message; no ``messages`` key at all when nothing matches.
- ``q`` understands ``after:``/``before:`` (epoch seconds or ``YYYY/MM/DD``, taken as
  UTC midnight where Gmail uses Pacific time), ``newer_than:``/``older_than:`` (``Nd``,
  ``Nm``, ``Ny``), ``in:``/``label:``/``is:`` and ``-`` negation. Any other term
  answers 400 naming it, so a test never passes on a filter the fake ignored.
- A token carrying ``gmail.metadata`` may not use ``q`` nor ``format=full|raw``: 403
  ``forbidden`` "Metadata scope does not support 'q' parameter" / "Metadata scope
  doesn't allow format FULL", even when ``gmail.readonly`` is granted too (a
  documented Gmail quirk, google-api-python-client issue #582).
- ``history.list``: records after ``startHistoryId``; 404 when it is older than the
  retained history; ``historyId`` in every answer is the mailbox's current one.
- ``userId`` is ``me`` or the token's own user; another user is 403 "Delegation
  denied"; a service account without ``sub`` gets 400 failedPrecondition, as Gmail
  answers a service account that has no mailbox.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from tests.fakes.gmail_format import message_resource
from tests.fakes.gmail_store import SYSTEM_LABELS, HistoryRecord, Mailbox, StoredMessage
from tests.fakes.google_wire import (
    ApiCall,
    GoogleError,
    bad_request,
    decode_token,
    encode_token,
    not_found,
)

METADATA_SCOPE = "https://www.googleapis.com/auth/gmail.metadata"
_HISTORY_FIELDS = {"messageAdded": "messagesAdded", "messageDeleted": "messagesDeleted",
                   "labelAdded": "labelsAdded", "labelRemoved": "labelsRemoved"}
_UNITS = {"d": 86400, "m": 31 * 86400, "y": 366 * 86400}
_IN = {"inbox": "INBOX", "sent": "SENT", "spam": "SPAM", "trash": "TRASH",
       "chats": "CHAT", "draft": "DRAFT", "drafts": "DRAFT"}
_IS = {"unread": "UNREAD", "starred": "STARRED", "important": "IMPORTANT"}
_USER = r"/gmail/v1/users/(?P<userId>[^/]+)"
ROUTES: list[tuple[str, str, str]] = [
    ("GET", _USER + r"/messages", "gmail.users.messages.list"),
    ("GET", _USER + r"/messages/(?P<id>[^/]+)", "gmail.users.messages.get"),
    ("GET", _USER + r"/history", "gmail.users.history.list"),
    ("GET", _USER + r"/profile", "gmail.users.getProfile"),
    ("GET", _USER + r"/labels", "gmail.users.labels.list"),
]
Filter = Callable[[StoredMessage], bool]


class GmailApi:
    def __init__(self, mailboxes: dict[str, Mailbox], clock: Callable[[], float]) -> None:
        self.mailboxes, self.clock = mailboxes, clock

    def handle(self, call: ApiCall) -> Any:
        handlers: dict[str, Callable[[Mailbox, ApiCall], Any]] = {
            "gmail.users.messages.list": self.messages_list,
            "gmail.users.messages.get": self.messages_get,
            "gmail.users.history.list": self.history_list,
            "gmail.users.getProfile": self.get_profile,
            "gmail.users.labels.list": self.labels_list}
        return handlers[call.endpoint](self._mailbox(call), call)

    def _mailbox(self, call: ApiCall) -> Mailbox:
        if call.user is None:
            raise GoogleError(400, "failedPrecondition", "Precondition check failed.",
                              status="FAILED_PRECONDITION")
        if call.args["userId"] not in {"me", call.user}:
            raise GoogleError(403, "forbidden", f"Delegation denied for {call.user}")
        return self.mailboxes[call.user]

    def messages_list(self, mailbox: Mailbox, call: ApiCall) -> dict[str, Any]:
        if "q" in call.query and METADATA_SCOPE in call.scopes:
            raise GoogleError(403, "forbidden", "Metadata scope does not support 'q' parameter")
        query = call.param("q") or ""
        keep = _label_filter(call.params("labelIds"), call.flag("includeSpamTrash") or
                             bool(re.search(r"\bin:(anywhere|spam|trash)\b", query)))
        match = _query_filter(query, mailbox, self.clock())
        found = sorted((m for m in mailbox.messages.values() if keep(m) and match(m)),
                       key=lambda m: (m.internal_date, m.id), reverse=True)
        start = 0
        if call.param("pageToken"):
            after = tuple(decode_token(call.param("pageToken") or ""))
            start = sum(1 for m in found if (m.internal_date, m.id) >= after)
        size = call.number("maxResults", 100, 500)
        page = found[start:start + size]
        answer: dict[str, Any] = {}
        if page:
            answer["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
        if start + size < len(found):
            answer["nextPageToken"] = encode_token([page[-1].internal_date, page[-1].id])
        answer["resultSizeEstimate"] = len(found)
        return answer

    def messages_get(self, mailbox: Mailbox, call: ApiCall) -> dict[str, Any]:
        fmt = (call.param("format") or "full").lower()
        if fmt not in {"minimal", "metadata", "full", "raw"}:
            raise bad_request(f"Invalid value at 'format' ({fmt})")
        if fmt in {"full", "raw"} and METADATA_SCOPE in call.scopes:
            raise GoogleError(403, "forbidden",
                              f"Metadata scope doesn't allow format {fmt.upper()}")
        stored = mailbox.messages.get(call.args["id"])
        if stored is None:
            raise not_found()
        return message_resource(stored, fmt, call.params("metadataHeaders"))

    def history_list(self, mailbox: Mailbox, call: ApiCall) -> dict[str, Any]:
        text = call.param("startHistoryId")
        if text is None or not text.isdigit():
            raise bad_request("Invalid startHistoryId", "invalidArgument")
        start = int(text)
        if start < mailbox.history_floor:
            raise not_found()
        if call.param("pageToken"):
            start = max(start, int(decode_token(call.param("pageToken") or "")))
        kinds = set(call.params("historyTypes")) or set(_HISTORY_FIELDS)
        label = call.param("labelId")
        records = [r for r in mailbox.history if r.id > start and r.kind in kinds
                   and (label is None or label in r.message["labelIds"] or label in r.label_ids)]
        size = call.number("maxResults", 100, 500)
        answer: dict[str, Any] = {}
        if records:
            answer["history"] = [_history_json(r) for r in records[:size]]
        if len(records) > size:
            answer["nextPageToken"] = encode_token(records[size - 1].id)
        answer["historyId"] = str(mailbox.history_id)
        return answer

    def get_profile(self, mailbox: Mailbox, call: ApiCall) -> dict[str, Any]:
        threads = {m.thread_id for m in mailbox.messages.values()}
        return {"emailAddress": mailbox.email, "messagesTotal": len(mailbox.messages),
                "threadsTotal": len(threads), "historyId": str(mailbox.history_id)}

    def labels_list(self, mailbox: Mailbox, call: ApiCall) -> dict[str, Any]:
        labels: list[dict[str, str]] = [{"id": label, "name": label, "type": "system"}
                                        for label in SYSTEM_LABELS]
        labels += [{"id": label_id, "name": name, "type": "user",
                    "messageListVisibility": "show", "labelListVisibility": "labelShow"}
                   for label_id, name in mailbox.labels.items()]
        return {"labels": labels}


def _history_json(record: HistoryRecord) -> dict[str, Any]:
    change: dict[str, Any] = {"message": record.message}
    if record.label_ids:
        change["labelIds"] = list(record.label_ids)
    return {"id": str(record.id),
            "messages": [{"id": record.message["id"], "threadId": record.message["threadId"]}],
            _HISTORY_FIELDS[record.kind]: [change]}


def _label_filter(label_ids: list[str], spam_and_trash: bool) -> Filter:
    wanted = set(label_ids)

    def keep(message: StoredMessage) -> bool:
        labels = set(message.labels)
        if not spam_and_trash and labels & {"SPAM", "TRASH"} and not wanted & {"SPAM", "TRASH"}:
            return False
        return wanted <= labels
    return keep


def _query_filter(query: str, mailbox: Mailbox, now: float) -> Filter:
    tests = [_term(word, mailbox, now) for word in query.split()]
    return lambda message: all(test(message) for test in tests)


def _term(word: str, mailbox: Mailbox, now: float) -> Filter:
    negated = word.startswith("-")
    name, _, value = word.lstrip("-").partition(":")
    test = _positive_term(name.lower(), value, mailbox, now, word)
    return (lambda message: not test(message)) if negated else test


def _positive_term(name: str, value: str, mailbox: Mailbox, now: float, word: str) -> Filter:
    if name in {"after", "before"}:
        bound = _instant(value, word) * 1000
        if name == "after":
            return lambda m: m.internal_date >= bound
        return lambda m: m.internal_date < bound
    if name in {"newer_than", "older_than"} and re.fullmatch(r"\d+[dmy]", value):
        edge = (now - int(value[:-1]) * _UNITS[value[-1]]) * 1000
        if name == "newer_than":
            return lambda m: m.internal_date >= edge
        return lambda m: m.internal_date < edge
    if name == "in" and value.lower() == "anywhere":
        return lambda m: True
    label = _label_id(name, value, mailbox)
    if label is None:
        raise bad_request(f"fake_google does not implement the search term {word!r}")
    return lambda m: label in m.labels


def _label_id(name: str, value: str, mailbox: Mailbox) -> str | None:
    if name == "in":
        return _IN.get(value.lower())
    if name == "is":
        return _IS.get(value.lower())
    if name == "label":
        by_name = {label_name.lower(): label_id for label_id, label_name in mailbox.labels.items()}
        return by_name.get(value.lower()) or (value.upper() if value.upper() in SYSTEM_LABELS
                                              else None)
    return None


def _instant(value: str, word: str) -> int:
    if value.isdigit():
        return int(value)
    try:
        day = dt.datetime.strptime(value.replace("-", "/"), "%Y/%m/%d")
    except ValueError as error:
        raise bad_request(f"fake_google cannot read the date in {word!r}") from error
    return int(day.replace(tzinfo=dt.UTC).timestamp())
