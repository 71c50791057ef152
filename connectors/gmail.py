"""Gmail mailboxes through the Gmail API v1 (google-api-python-client), mail only.

Cursor: ``{"history_id": H}``, the mailbox's historyId after the last delivered
change. While a backfill is under way it also carries the next ``page_token`` of
``messages.list`` and the window's start ``after`` (epoch seconds), so a crash
resumes on the next page (a page token Google no longer accepts is an expired
cursor).

Backfill: ``users.getProfile`` gives H *before* listing, so whatever arrives while
the backfill runs is replayed by the next incremental run (natural keys make the
overlap harmless). ``users.messages.list`` pages through ids, :data:`PAGE` at a
time; each page is fetched in batch requests of :data:`BATCH`, all of a page's in
flight together (four, each on its own connection), and yielded as one
:class:`Batch`: 1 list + 4 batch HTTP requests per 200 messages. Gmail allows 100
parts a batch but advises at most 50, since larger batches trip the per-user rate
limit (https://developers.google.com/workspace/gmail/api/guides/batch).

Incremental: ``users.history.list(startHistoryId=H, historyTypes=messageAdded)``,
page by page; each page's added messages are fetched as above, and the cursor
becomes the page's last record id, or the mailbox's historyId after the last page.
An unchanged mailbox costs one request. A 404 means H is older than Gmail keeps
(a week, sometimes hours): :class:`CursorExpired`, and the runner resyncs in full.

Two ways to read a message, chosen by the capture policy (``bodies``), both turned
into items by :mod:`connectors.gmail_message`:

- Bodies kept: scope ``gmail.readonly``, the window is ``q=after:<epoch>``, and
  messages are fetched ``format=full``: Gmail's parsed MIME tree, in which an
  attachment is only an id, so its bytes never cross the wire (``format=raw``
  would send every attachment, base64-encoded, inside the batch answer).
- No text kept: scope ``gmail.metadata``, least privilege. That scope forbids ``q``
  and ``format=raw|full``, so the window is applied here to ``internalDate``, and
  since ``messages.list`` is newest first, listing stops after the first page that
  lies entirely before the window (a whole page, not its first old message, in
  case Gmail's order and ``internalDate`` disagree slightly). Messages are fetched
  ``format=metadata`` with just the header fields the parser and the classifier
  read, which give the same :class:`RawMessage`, less the text.

A message deleted between listing and fetching (a 404 part) is skipped.

Holdings (``syncd verify``), ids and days only. With ``gmail.readonly``: one
``messages.list`` a UTC day of the window, ``q=after:<day> before:<next day>
-in:drafts -in:chats`` (spam and trash are left out by default), ids only,
:data:`LIST_PAGE` a page: about one request (5 units) a day, however much mail, and
no message is read. With ``gmail.metadata`` (no ``q``): pull's unwindowed listing,
each page read ``format=minimal`` (labels and ``internalDate``) in batch requests,
until a page lies entirely before the window: 1 list + 10 batch requests per 500
messages. Either way ``internalDate``, by which pull applies its window, dates the
item.

A backfill reads the next page while the runner writes this one (a worker thread:
the wait for Google overlaps syncd's work). Every request first spends its quota
units (:data:`UNITS`) from the source's :class:`~connectors.quota.QuotaLimiter`.
For ``auth: oauth`` the access token google-auth refreshed is handed back in
:attr:`token` for the runner to store.
"""

from __future__ import annotations

import functools
import json
import urllib.parse
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError
from pydantic import BaseModel, Field

from connectors import google_batch
from connectors.base import Batch, Cursor, Held, Item
from connectors.gmail_message import (
    FULL_FIELDS,
    METADATA_FIELDS,
    METADATA_HEADERS,
    MINIMAL_FIELDS,
    SKIPPED_LABELS,
    external_id,
    to_item,
)
from connectors.google_api import execute, translate, translate_transport
from connectors.google_service import GoogleConnector, GoogleSettings
from connectors.quota import QuotaLimiter
from connectors.retry import Retryable, with_retries
from syncd.prefetch import ahead

GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
GOOGLE_API = "https://gmail.googleapis.com/"
PAGE = 200
BATCH = 50
LIST_PAGE = 500
"""Ids a holdings listing asks for a page: Gmail's most."""
HELD_QUERY = "-in:drafts -in:chats"
"""What pull skips by its labels, left out of a holdings search (spam and trash
are left out unless asked for)."""
UNITS = {"getProfile": 1, "messages.list": 5, "messages.get": 5, "history.list": 2}
"""Quota units per call (https://developers.google.com/workspace/gmail/api/reference/quota);
a batch costs the sum of its parts."""


class GmailSettings(GoogleSettings):
    quota_per_minute: int = Field(15000, gt=0, description=(
        "Gmail API quota units this mailbox may spend a minute (Google's per-user limit "
        "is 15,000; reading a message costs 5). A minute's worth may be spent at once, "
        "then syncd waits; lower it when other tools read the same mailbox"))


class GmailConnector(GoogleConnector):
    kind = "gmail"
    api = ("gmail", "v1")
    Settings = GmailSettings
    settings: GmailSettings

    def __init__(self, name: str, settings: BaseModel, token: str | None = None, *,
                 bodies: bool = True) -> None:
        super().__init__(name, settings, token, bodies=bodies)
        self.quota = QuotaLimiter(self.settings.quota_per_minute)

    @classmethod
    def scopes(cls, settings: BaseModel, bodies: bool) -> list[str]:
        """``gmail.readonly``, or ``gmail.metadata`` when no text is kept."""
        return [GMAIL_READONLY if bodies else GMAIL_METADATA]

    def check(self) -> str:
        profile = self._call(self._service().users().getProfile(userId="me"), "getProfile")
        return (f"mailbox {profile.get('emailAddress')} with "
                f"{profile.get('messagesTotal', '?')} messages")

    def pull(self, cursor: Cursor, *, full: bool = False,
             since: datetime | None = None) -> Iterator[Batch]:
        service = self._service()
        state: dict[str, Any] = {} if full or not cursor else dict(cursor)
        if not state:
            start = str(self._call(service.users().getProfile(userId="me"),
                                   "getProfile")["historyId"])
            after = None if since is None else int(since.timestamp())
            yield from ahead(self._backfill(service, start, after, None))
        elif state.get("page_token"):
            yield from ahead(self._backfill(service, str(state["history_id"]),
                                            state.get("after"), str(state["page_token"])))
        else:
            yield from self._incremental(service, str(state["history_id"]))

    def _call(self, request: Any, what: str, *, expired_on: frozenset[int] = frozenset()
              ) -> Any:
        """One request, its quota spent on every attempt (Google counts retries too)."""
        def attempt() -> Any:
            self.quota.spend(UNITS[what])
            return execute(request, what, expired_on)
        return with_retries(what, attempt)

    def _backfill(self, service: Any, history_id: str, after: int | None,
                  token: str | None) -> Iterator[Batch]:
        """Pages of ``messages.list``; a resumed page token Google refuses is expired."""
        expired_on = frozenset({400, 404}) if token else frozenset()
        while True:
            page = self._call(service.users().messages().list(
                userId="me", q=self._query(after), pageToken=token, maxResults=PAGE,
                fields="messages/id,nextPageToken,resultSizeEstimate"),
                "messages.list", expired_on=expired_on)
            token = page.get("nextPageToken")
            resources = self._fetch([m["id"] for m in page.get("messages", [])])
            recent = [r for r in resources if _within(r, after)]
            done = not token or (resources and not recent)
            cursor: dict[str, Any] = {"history_id": history_id}
            if not done:
                cursor |= {"page_token": token, "after": after}
            unwindowed = after is not None and not self.bodies  # the estimate counts all
            yield Batch(self._items(recent), cursor,
                        total=None if unwindowed else page.get("resultSizeEstimate"))
            if done:
                return

    def _query(self, after: int | None) -> str | None:
        """The window as a Gmail search, which ``gmail.metadata`` does not allow."""
        return None if after is None or not self.bodies else f"after:{after}"

    def holdings(self, since: datetime, until: datetime) -> Iterator[Held]:
        """Ids by ``internalDate`` day; searched day by day when ``q`` is allowed."""
        service = self._service()
        if self.bodies:
            yield from self._held_by_day(service, since, until)
        else:
            yield from self._held_by_date(service, since, until)

    def _held_by_day(self, service: Any, since: datetime, until: datetime
                     ) -> Iterator[Held]:
        start = since
        while start < until:
            day = start.astimezone(UTC).date()
            end = min(until, datetime.combine(day + timedelta(days=1), time(), UTC))
            query = f"after:{int(start.timestamp())} before:{int(end.timestamp())} " \
                    f"{HELD_QUERY}"
            for ids in self._listed(service, query):
                yield from (Held(external_id(i), None, day) for i in ids)
            start = end

    def _held_by_date(self, service: Any, since: datetime, until: datetime
                      ) -> Iterator[Held]:
        """As pull reads without ``q``: newest first, until a page lies entirely before
        the window (an undated message is always in it, as pull takes it)."""
        after = int(since.timestamp())
        for ids in self._listed(service, None):
            resources = self._fetch(ids, minimal=True)
            for resource in resources:
                stamp = resource.get("internalDate")
                dated = None if stamp is None else datetime.fromtimestamp(int(stamp) / 1000, UTC)
                if SKIPPED_LABELS & set(resource.get("labelIds", [])) or not \
                        _within(resource, after) or (dated is not None and dated >= until):
                    continue
                yield Held(external_id(resource["id"]), None, dated.date() if dated else None)
            if resources and not any(_within(r, after) for r in resources):
                return

    def _listed(self, service: Any, query: str | None) -> Iterator[list[str]]:
        """The ids of ``messages.list`` pages, newest first."""
        token: str | None = None
        while True:
            page = self._call(service.users().messages().list(
                userId="me", q=query, pageToken=token, maxResults=LIST_PAGE,
                fields="messages/id,nextPageToken"), "messages.list")
            yield [m["id"] for m in page.get("messages", [])]
            token = page.get("nextPageToken")
            if not token:
                return

    def _incremental(self, service: Any, start: str) -> Iterator[Batch]:
        """History pages; the cursor is the last record read, then the mailbox's
        historyId once the last page is read (a page may be empty yet not the last)."""
        token: str | None = None
        reached = start
        while True:
            page = self._call(service.users().history().list(
                userId="me", startHistoryId=start, historyTypes=["messageAdded"],
                maxResults=PAGE, pageToken=token,
                fields="history(id,messagesAdded/message/id),historyId,nextPageToken"),
                "history.list", expired_on=frozenset({404}))
            records = page.get("history", [])
            token = page.get("nextPageToken")
            if not records and not token and str(page["historyId"]) == reached:
                return  # nothing happened: one request was all it cost
            if records:
                reached = str(records[-1]["id"])
            if not token:
                reached = str(page["historyId"])
            items = self._items(self._fetch(_added(records)))
            yield Batch(items, {"history_id": reached})
            if not token:
                return

    def _items(self, resources: Sequence[dict[str, Any]]) -> list[Item]:
        return [item for resource in resources
                if (item := to_item(resource, self.bodies)) is not None]

    def _fetch(self, ids: Sequence[str], *, minimal: bool = False) -> list[dict[str, Any]]:
        """The messages still there, :data:`BATCH` per batch request, in the order given;
        a page's batch requests are in flight together. ``minimal``: labels and date
        only."""
        chunks = [ids[begin:begin + BATCH] for begin in range(0, len(ids), BATCH)]
        read = functools.partial(self._fetch_chunk, minimal=minimal)
        if len(chunks) < 2:
            answers = [read(chunk) for chunk in chunks]
        else:
            with ThreadPoolExecutor(len(chunks), thread_name_prefix="syncd-gmail") as pool:
                answers = list(pool.map(read, chunks))
        return [resource for got in answers for resource in got]

    def _fetch_chunk(self, chunk: Sequence[str], *, minimal: bool) -> list[dict[str, Any]]:
        got: dict[str, dict[str, Any] | None] = {}
        renewed: list[bool] = []
        with_retries("messages.get batch",
                     functools.partial(self._batch, chunk, got, renewed, minimal))
        return [resource for message_id in chunk
                if (resource := got.get(message_id)) is not None]

    def _batch(self, ids: Sequence[str], got: dict[str, dict[str, Any] | None],
               renewed: list[bool], minimal: bool) -> None:
        """One batch request for the ids not yet in ``got``; parts that were rate
        limited or failed on Google's side raise :class:`Retryable` for another
        round, which sends only those again. Parts refused with 401 go again once,
        after the access token is renewed (``renewed`` remembers it)."""
        pending = [message_id for message_id in ids if message_id not in got]
        self.quota.spend(UNITS["messages.get"] * len(pending))
        try:
            answers = google_batch.send(self.thread_http(), self._batch_uri(),
                                        {i: self._target(i, minimal) for i in pending})
        except google_batch.BatchFormatError as exc:
            raise Retryable(f"messages.get batch: {exc}") from exc
        except HttpError as exc:
            raise translate(exc, "messages.get batch") from exc
        except (RefreshError, TransportError, httplib2.HttpLib2Error, OSError) as exc:
            raise translate_transport(exc, "messages.get batch") from exc
        retry: list[Retryable] = []
        for message_id in pending:
            answer = answers.get(message_id)
            if answer is None:
                retry.append(Retryable(f"messages.get {message_id}: no answer in the batch"))
            elif answer.status == 200:
                got[message_id] = json.loads(answer.body)
            elif answer.status == 404:
                got[message_id] = None  # deleted since it was listed
            elif answer.status == 401 and not renewed:
                retry.append(Retryable(f"messages.get {message_id}: 401", 0.0))
            else:
                problem = translate(_http_error(answer), f"messages.get {message_id}")
                if not isinstance(problem, Retryable):
                    raise problem
                retry.append(problem)
        if any(r.retry_after == 0.0 for r in retry) and not renewed:
            self._renew()
            renewed.append(True)
        if retry:
            waits = [r.retry_after for r in retry if r.retry_after is not None]
            raise Retryable(f"{len(retry)} of {len(ids)} parts: {retry[0]}",
                            max(waits) if waits else None)

    def _target(self, message_id: str, minimal: bool = False) -> str:
        """The part's request line target: the path under the API root, and query."""
        params: list[tuple[str, str]] = [("alt", "json")]
        if minimal:
            params += [("format", "minimal"), ("fields", MINIMAL_FIELDS)]
        elif self.bodies:
            params += [("format", "full"), ("fields", FULL_FIELDS)]
        else:
            params += [("format", "metadata"), ("fields", METADATA_FIELDS)]
            params += [("metadataHeaders", name) for name in METADATA_HEADERS]
        root = urllib.parse.urlsplit(self.settings.endpoints.api or GOOGLE_API).path
        return (f"{root.rstrip('/')}/gmail/v1/users/me/messages/"
                f"{urllib.parse.quote(message_id, safe='')}?{urllib.parse.urlencode(params)}")

    def _batch_uri(self) -> str:
        return (self.settings.endpoints.api or GOOGLE_API).rstrip("/") + "/batch/gmail/v1"


def _http_error(answer: google_batch.Answer) -> HttpError:
    """A part's error answer in the shape the error translation reads."""
    return HttpError(httplib2.Response({"status": answer.status, **answer.headers}),
                     answer.body)


def _within(resource: dict[str, Any], after: int | None) -> bool:
    """On or after the window's start by ``internalDate`` (always, without a window or
    when Gmail left the date out)."""
    if after is None or "internalDate" not in resource:
        return True
    return int(resource["internalDate"]) >= after * 1000


def _added(records: list[dict[str, Any]]) -> list[str]:
    """Ids of added messages, each once, in history order."""
    ids = (added["message"]["id"] for record in records
           for added in record.get("messagesAdded", []))
    return list(dict.fromkeys(ids))
