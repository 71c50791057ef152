"""Outlook mail through Microsoft Graph delta queries, one per folder.

Cursor: ``{"links": {folder: link}}``, for each configured folder (well-known names
such as ``inbox`` and ``sentitems``, or folder ids) the ``@odata.nextLink`` to go on
from while a round is under way, then the round's ``@odata.deltaLink``; during a
first round also the backfill window's start (``since``). Each link carries its
query, so it is used as Graph gave it.

A round asks every folder's link at once in one JSON ``$batch`` request (up to 20
folders), then goes on page by page, again batched, for the folders that have more:
an unchanged mailbox costs one request. A first round asks ``messages/delta`` with
``$select`` of only the fields the pipeline reads and ``Prefer:
odata.maxpagesize=`` :data:`PAGE` plus ``outlook.body-content-type="text"``, so a
body comes as text. No ``$filter``: Graph caps a filtered delta at 5,000 messages,
so the backfill window is applied here to ``receivedDateTime`` instead.

``internetMessageId`` keys the interaction, so a message seen through Gmail, IMAP
and Graph is one; ``conversationId`` is the thread hint; the copy is named
``graph:<id>`` (Graph's id changes when a message moves: the old id comes back as
``@removed``, a :class:`Deletion` of that copy, and the new one as a new copy of the
same interaction). Drafts are skipped, and so are change notices that carry no
message (a read flag set, a category added); a message with no sender, recipient or
Message-ID is quarantined, as the file connectors quarantine such a file. An expired
delta link (410, ``syncStateNotFound``) is :class:`CursorExpired`: every folder is
read again.

Holdings (``syncd verify``): each folder's plain ``/messages`` listing (not delta:
only it takes a ``$filter`` both ways and ``$top``), ``$filter`` on
``receivedDateTime`` over the window (from a day early: pull windows a message by
its ``sentDateTime``, which a sender's fast clock may put after its arrival),
``$select`` of the id, the two
dates and ``isDraft``, :data:`HELD_PAGE` a page; the folders' pages go together in
one ``$batch``, as pull's do: one request per 1,000 messages of the largest folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field

from connectors.base import (
    Address,
    BadItem,
    Batch,
    Cursor,
    Deletion,
    Held,
    Item,
    RawMessage,
)
from connectors.graph_api import BATCH_MAX, GraphRequest
from connectors.microsoft_service import MicrosoftConnector, MicrosoftSettings
from connectors.rfc822 import CLASSIFY_FIELDS

PAGE = 1000
BASE_FIELDS = ("id", "internetMessageId", "conversationId", "subject", "from", "sender",
               "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "sentDateTime",
               "receivedDateTime", "isDraft", "internetMessageHeaders")
SENT = "sentitems"
HELD_PAGE = 1000
"""Messages a holdings page asks for (``$top``): Graph's most for messages."""
HELD_FIELDS = "id,receivedDateTime,sentDateTime,isDraft"
EARLY = timedelta(days=1)
"""How much earlier than the window a holdings listing starts by ``receivedDateTime``:
pull goes by ``sentDateTime``, which a sender's fast clock puts after the arrival."""


class OutlookMailSettings(MicrosoftSettings):
    folders: tuple[str, ...] = Field(("inbox", SENT), min_length=1, max_length=BATCH_MAX,
                                     description=(
        "folders to read: well-known names (inbox, sentitems, archive) or folder ids"))


class OutlookMailConnector(MicrosoftConnector):
    kind = "outlook_mail"
    Settings = OutlookMailSettings
    settings: OutlookMailSettings
    read_permissions = ("Mail.Read", "Mail.ReadBasic")

    def check(self) -> str:
        box = self.graph().get(GraphRequest(
            f"{self.owner_path}/mailFolders/inbox",
            {"$select": "displayName,totalItemCount"}), "mailFolders")
        return f"inbox with {box.get('totalItemCount', '?')} messages"

    def pull(self, cursor: Cursor, *, full: bool = False,
             since: datetime | None = None) -> Iterator[Batch]:
        state: dict[str, Any] = {} if full or not cursor else dict(cursor)
        links: dict[str, str] = dict(state.get("links") or {})
        after = state.get("since") or (since.isoformat() if since else None)
        window = datetime.fromisoformat(after) if after else None
        pending = {folder: self._start(folder, links.get(folder))
                   for folder in self.settings.folders}
        before = dict(links)
        for answered in self._rounds(pending, "messages/delta"):
            items: list[Item] = []
            for name, page in answered:
                items += self._items(page, name, window)
                links[name] = str(page.get("@odata.nextLink") or page.get("@odata.deltaLink"))
            if items or pending or links != before:
                # the window holds until every folder's first round is done
                yield Batch(items, {"links": dict(links)} | (
                    {"since": after} if pending and after else {}))

    def holdings(self, since: datetime, until: datetime) -> Iterator[Held]:
        """The messages pull's window holds that arrived before ``until``, by folder."""
        window = (f"receivedDateTime ge {_graph_time(since - EARLY)} and "
                  f"receivedDateTime lt {_graph_time(until)}")
        pending = {folder: GraphRequest(
            f"{self.owner_path}/mailFolders/{folder}/messages",
            {"$select": HELD_FIELDS, "$filter": window, "$top": str(HELD_PAGE)})
            for folder in self.settings.folders}
        for answered in self._rounds(pending, "messages"):
            for folder, page in answered:
                for entry in page.get("value", []):
                    dated = _time(entry.get("sentDateTime") or entry.get("receivedDateTime"))
                    if not entry.get("isDraft") and (dated is None or dated >= since):
                        yield Held(_external_id(entry), folder,
                                   dated.astimezone(UTC).date() if dated else None)

    def _rounds(self, pending: dict[str, GraphRequest], what: str
                ) -> Iterator[list[tuple[str, dict[str, Any]]]]:
        """Each folder's pages, one ``$batch`` a round for the folders with more to
        read; ``pending`` (folder -> its next request) is left with those that still
        have more when a round is handed out."""
        while pending:
            names = list(pending)
            pages = self.graph().batch([pending[name] for name in names], what)
            for name, page in zip(names, pages, strict=True):
                following = page.get("@odata.nextLink")
                if following:
                    pending[name] = self._request(following)
                else:
                    del pending[name]
            yield list(zip(names, pages, strict=True))

    def _start(self, folder: str, link: str | None) -> GraphRequest:
        if link:
            return self._request(link)
        fields = BASE_FIELDS + (("body",) if self.bodies else ())
        return GraphRequest(f"{self.owner_path}/mailFolders/{folder}/messages/delta",
                            {"$select": ",".join(fields)}, self._prefer())

    def _request(self, link: str) -> GraphRequest:
        return GraphRequest(link, None, self._prefer())

    def _prefer(self) -> tuple[str, ...]:
        prefer = (f"odata.maxpagesize={PAGE}",)
        return prefer + (('outlook.body-content-type="text"',) if self.bodies else ())

    def _items(self, page: dict[str, Any], folder: str,
               window: datetime | None) -> list[Item]:
        items: list[Item] = []
        for entry in page.get("value", []):
            item = _item(entry, folder)
            if item is None:
                continue
            if window is not None and isinstance(item, RawMessage) and item.date \
                    and item.date < window:
                continue
            items.append(item)
        return items


def _external_id(entry: dict[str, Any]) -> str:
    return f"graph:{entry.get('id', '')}"


def _graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item(entry: dict[str, Any], folder: str) -> Item | None:
    external_id = _external_id(entry)
    if "@removed" in entry:
        return Deletion(external_id)
    if entry.get("isDraft") or not ({"receivedDateTime", "internetMessageId"} & entry.keys()):
        return None  # a draft, or a change notice with no message in it
    if not any(entry.get(name) for name in ("from", "sender", "toRecipients", "ccRecipients",
                                            "internetMessageId")):
        return BadItem(external_id, "Graph sent a message with no sender, no recipient and "
                       "no Message-ID", json.dumps(entry, ensure_ascii=False).encode()[:65536],
                       "json")
    try:
        return _message(external_id, entry, folder)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return BadItem(external_id, f"Graph sent a message syncd cannot read: "
                       f"{type(exc).__name__}: {exc}",
                       json.dumps(entry, ensure_ascii=False).encode()[:65536], "json")


def _message(external_id: str, entry: dict[str, Any], folder: str) -> RawMessage:
    body = entry.get("body") or {}
    text = str(body.get("content") or "")
    html = body.get("contentType") == "html"
    sender = _addresses([entry["from"]] if entry.get("from") else
                        [entry["sender"]] if entry.get("sender") else [])
    headers = {str(h["name"]).lower(): str(h["value"])
               for h in entry.get("internetMessageHeaders") or []}
    return RawMessage(
        external_id=external_id, message_id=entry.get("internetMessageId"),
        date=_time(entry.get("sentDateTime") or entry.get("receivedDateTime")),
        subject=str(entry.get("subject") or ""), sender=sender[0] if sender else None,
        to=_addresses(entry.get("toRecipients")), cc=_addresses(entry.get("ccRecipients")),
        bcc=_addresses(entry.get("bccRecipients")),
        reply_to=_addresses(entry.get("replyTo")),
        thread_hint=entry.get("conversationId"),
        headers={name: headers[name] for name in CLASSIFY_FIELDS if name in headers},
        folder=folder, sent_by_me=True if folder == SENT else None,
        text="" if html else text, html=text if html else "")


def _addresses(recipients: list[dict[str, Any]] | None) -> tuple[Address, ...]:
    found = []
    for recipient in recipients or []:
        address = recipient.get("emailAddress") or {}
        if address.get("address"):
            found.append(Address(str(address["address"]), str(address.get("name") or "")))
    return tuple(found)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
