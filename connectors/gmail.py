"""Gmail mailboxes through the Gmail API v1 (google-api-python-client), mail only.

Cursor: ``{"history_id": H}``, the mailbox's historyId after the last delivered
change. While a backfill is under way it also carries the next ``page_token`` of
``messages.list`` and the ``q`` that listing uses, so a crash resumes on the next
page (a page token Google no longer accepts is an expired cursor).

Backfill: ``users.getProfile`` gives H *before* listing, so whatever arrives while
the backfill runs is replayed by the next incremental run (natural keys make the
overlap harmless). ``users.messages.list`` (``q=after:<epoch>`` for a window) pages
through ids, :data:`PAGE` at a time; each page is fetched in batch requests of
:data:`BATCH` and yielded as one :class:`Batch`: 1 list + 2 batch HTTP requests per
100 messages. Gmail allows 100 parts a batch but advises at most 50, since larger
batches trip the per-user rate limit
(https://developers.google.com/workspace/gmail/api/guides/batch).

Incremental: ``users.history.list(startHistoryId=H, historyTypes=messageAdded)``,
page by page; each page's added messages are fetched as above, and the cursor
becomes the page's last record id, or the mailbox's historyId after the last page.
An unchanged mailbox costs one request. A 404 means H is older than Gmail keeps
(a week, sometimes hours): :class:`CursorExpired`, and the runner resyncs in full.

Messages are fetched with ``format=raw``: :func:`connectors.rfc822.parse_message`
then reads them exactly as it reads IMAP, Maildir and mbox mail, so one message
yields the same :class:`RawMessage` whichever way it came, and a message that does
not parse is quarantined with its bytes. ``format=full`` would spare attachment
bytes but needs a second decoder of Gmail's pre-parsed, already RFC 2047-decoded
JSON tree. The id names the copy (``gmail:<hex>``, as the IMAP connector names it
from X-GM-MSGID), ``threadId`` is the thread hint, the ``SENT`` label says the
owner sent it. Drafts, spam, trash and chats are not interactions and are skipped;
a message deleted between listing and fetching (a 404 part) is skipped too.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import httplib2
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest
from pydantic import BaseModel, ConfigDict, Field

from connectors.auth.google import GoogleAuth, GoogleEndpoints, OAuthAuth, credentials
from connectors.base import BadItem, Batch, Connector, Cursor, Item
from connectors.google_api import Retryable, execute, translate, with_retries
from connectors.rfc822 import parse_message
from syncd.errors import BadItemError

log = logging.getLogger(__name__)
GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
GOOGLE_API = "https://gmail.googleapis.com/"
PAGE = 100
BATCH = 50
SKIPPED_LABELS = frozenset({"DRAFT", "SPAM", "TRASH", "CHAT"})
MESSAGE_FIELDS = "id,threadId,labelIds,raw"


class GmailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    auth: GoogleAuth = Field(description="how syncd signs in to Google for this mailbox")
    endpoints: GoogleEndpoints = Field(GoogleEndpoints(), description=(
        "Google's base URLs replaced (private endpoints, test servers)"))
    timeout: float = Field(60.0, gt=0, description="seconds to wait for Google")


class GmailConnector(Connector):
    kind = "gmail"
    Settings = GmailSettings
    settings: GmailSettings

    @classmethod
    def needs_token(cls, settings: BaseModel) -> bool:
        """``auth: {type: oauth}`` reads the refresh token ``syncd auth`` stored."""
        return isinstance(getattr(settings, "auth", None), OAuthAuth)

    def pull(self, cursor: Cursor, *, full: bool = False,
             since: datetime | None = None) -> Iterator[Batch]:
        service = self._service()
        state: dict[str, Any] = {} if full or not cursor else dict(cursor)
        if not state:
            start = str(self._call(service.users().getProfile(userId="me"),
                                   "getProfile")["historyId"])
            yield from self._backfill(service, start, _query(since), None)
        elif state.get("page_token"):
            yield from self._backfill(service, str(state["history_id"]), state.get("q"),
                                      str(state["page_token"]))
        else:
            yield from self._incremental(service, str(state["history_id"]))

    def _service(self) -> Any:
        creds = credentials(self.settings.auth, self.settings.endpoints, [GMAIL_READONLY],
                            source=self.name, token=self.token)
        http = AuthorizedHttp(creds, http=httplib2.Http(timeout=self.settings.timeout))
        api = self.settings.endpoints.api
        return build("gmail", "v1", http=http, static_discovery=True,
                     client_options={"api_endpoint": api} if api else None)

    def _call(self, request: Any, what: str, *, expired_on: frozenset[int] = frozenset()
              ) -> Any:
        return with_retries(what, lambda: execute(request, what, expired_on))

    def _backfill(self, service: Any, history_id: str, query: str | None,
                  token: str | None) -> Iterator[Batch]:
        """Pages of ``messages.list``; a resumed page token Google refuses is expired."""
        expired_on = frozenset({400, 404}) if token else frozenset()
        while True:
            page = self._call(service.users().messages().list(
                userId="me", q=query, pageToken=token, maxResults=PAGE,
                fields="messages/id,nextPageToken,resultSizeEstimate"),
                "messages.list", expired_on=expired_on)
            token = page.get("nextPageToken")
            items = self._fetch(service, [m["id"] for m in page.get("messages", [])])
            cursor: dict[str, Any] = {"history_id": history_id}
            if token:
                cursor |= {"page_token": token, "q": query}
            yield Batch(items, cursor, total=page.get("resultSizeEstimate"))
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
            yield Batch(self._fetch(service, _added(records)), {"history_id": reached})
            if not token:
                return

    def _fetch(self, service: Any, ids: Sequence[str]) -> list[Item]:
        """The messages, :data:`BATCH` per batch request, in the order given."""
        items: list[Item] = []
        for begin in range(0, len(ids), BATCH):
            chunk = ids[begin:begin + BATCH]
            got: dict[str, dict[str, Any] | None] = {}
            with_retries("messages.get batch",
                         functools.partial(self._batch, service, chunk, got))
            items += [item for message_id in chunk
                      if (resource := got.get(message_id)) is not None
                      and (item := _item(resource)) is not None]
        return items

    def _batch(self, service: Any, ids: Sequence[str],
               got: dict[str, dict[str, Any] | None]) -> None:
        """One batch request for the ids not yet in ``got``; parts that were rate
        limited or failed on Google's side raise :class:`Retryable` for another
        round, which sends only those again."""
        retry: list[Retryable] = []

        def collect(request_id: str, response: Any, error: HttpError | None) -> None:
            if error is None:
                got[request_id] = response
            elif error.status_code == 404:
                got[request_id] = None  # deleted since it was listed
            else:
                problem = translate(error, f"messages.get {request_id}")
                if not isinstance(problem, Retryable):
                    raise problem
                retry.append(problem)

        batch = BatchHttpRequest(callback=collect, batch_uri=self._batch_uri())
        for message_id in ids:
            if message_id not in got:
                batch.add(service.users().messages().get(
                    userId="me", id=message_id, format="raw", fields=MESSAGE_FIELDS),
                    request_id=message_id)
        execute(batch, "batch")
        if retry:
            waits = [r.retry_after for r in retry if r.retry_after is not None]
            raise Retryable(f"{len(retry)} of {len(ids)} parts: {retry[0]}",
                            max(waits) if waits else None)

    def _batch_uri(self) -> str:
        return (self.settings.endpoints.api or GOOGLE_API).rstrip("/") + "/batch/gmail/v1"


def _query(since: datetime | None) -> str | None:
    return None if since is None else f"after:{int(since.timestamp())}"


def _added(records: list[dict[str, Any]]) -> list[str]:
    """Ids of added messages, each once, in history order."""
    ids = (added["message"]["id"] for record in records
           for added in record.get("messagesAdded", []))
    return list(dict.fromkeys(ids))


def _hex(gmail_id: str) -> str:
    """Gmail's id without leading zeros, as the IMAP connector prints X-GM-MSGID."""
    try:
        return format(int(gmail_id, 16), "x")
    except ValueError:
        return gmail_id


def _item(resource: dict[str, Any]) -> Item | None:
    labels = tuple(resource.get("labelIds", []))
    if SKIPPED_LABELS & set(labels):
        return None
    external_id = f"gmail:{_hex(resource['id'])}"
    text = str(resource.get("raw", ""))
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        message = parse_message(raw, external_id=external_id)
    except (binascii.Error, ValueError) as exc:
        return BadItem(external_id, f"Gmail sent no readable raw message: {exc}",
                       text[:65536].encode())
    except BadItemError as exc:
        return BadItem(external_id, f"Gmail message {resource['id']}: {exc}", raw[:65536])
    thread = resource.get("threadId")
    return replace(message, thread_hint=_hex(thread) if thread else None, labels=labels,
                   sent_by_me="SENT" in labels)
