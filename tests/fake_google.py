"""A fake Google on 127.0.0.1 that speaks the real wire formats: the OAuth token
endpoint, Gmail v1, Calendar v3 and the batch endpoint.

The Gmail and Calendar connectors are tested through the real client stack
(google-api-python-client with its bundled static discovery documents,
google-auth, httplib2), so everything the libraries put on the wire — query
encoding, ``alt=json``, bearer tokens, token refresh, the multipart batch format,
retries — is exercised; only the far end is ours. How to point each library here
is in shared/REMOTE-APIS.md §0; in short::

    with FakeGoogle() as google:
        google.add_user("alice@acme.test").add(raw_bytes)
        info = google.service_account()          # key generated now, never on disk
        creds = service_account.Credentials.from_service_account_info(
            info, scopes=[GMAIL_READONLY], subject="alice@acme.test")
        gmail = build("gmail", "v1", credentials=creds, static_discovery=True,
                      client_options={"api_endpoint": google.gmail_endpoint})
        batch = BatchHttpRequest(batch_uri=google.gmail_batch_uri)

Tests drive state through :meth:`mailbox` / :meth:`calendar` (see
``tests/fakes/gmail_store.py`` and ``calendar_store.py``), schedule faults with
:meth:`fail_next` / :meth:`drop_next`, and assert on :attr:`calls` (every API call,
batch parts included, with endpoint, user and status) and :attr:`batches`. A bug in
the fake itself answers 500 *and* is raised when the context manager exits, so it
can never pass for a Google outage the connector retried through.

What the client libraries do that a connector must handle (seen against this fake):
``Credentials.from_authorized_user_info`` resets a custom ``token_uri`` to Google's,
so build ``google.oauth2.credentials.Credentials(..., token_uri=...)`` directly;
service-account credentials without ``subject`` call Google in the background after
a refresh; ``execute(num_retries=n)`` ignores ``Retry-After`` and batch parts are
never retried, so read ``HttpError.resp["retry-after"]`` yourself; httplib2 resends
once after a dropped connection; ``new_batch_http_request()`` posts to Google's
``/batch`` whatever ``api_endpoint`` says; a ``gmail.metadata`` grant forbids ``q``
and full bodies (403 ``forbidden``) even beside ``gmail.readonly``; empty list and
history answers have no ``messages`` / ``history`` key.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import traceback
import urllib.parse
import urllib.request
import webbrowser
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol

from googleapiclient.discovery_cache import get_static_doc

from tests.fakes.calendar_api import ROUTES as CALENDAR_ROUTES
from tests.fakes.calendar_api import CalendarApi
from tests.fakes.calendar_store import Calendar
from tests.fakes.gmail_api import ROUTES as GMAIL_ROUTES
from tests.fakes.gmail_api import GmailApi
from tests.fakes.gmail_store import Mailbox, message_ids
from tests.fakes.google_batch import batch_reply, parse_batch
from tests.fakes.google_fields import select
from tests.fakes.google_oauth import OAuthServer
from tests.fakes.google_wire import (
    ApiCall,
    Call,
    Fault,
    GoogleError,
    Reply,
    insufficient_scopes,
    json_reply,
    not_found,
    unauthenticated,
)
from tests.fakes.loopback import Loopback, RandomFaults, ReplyHandler

GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
BATCH_PATHS = {"/batch", "/batch/gmail/v1", "/batch/calendar/v3"}
CONSENT_PATHS = {"/o/oauth2/auth", "/o/oauth2/v2/auth"}
GMAIL_BATCH_LIMIT = 100  # Gmail's documented limit; Calendar allows 1000
CALENDAR_BATCH_LIMIT = 1000


class _Api(Protocol):
    def handle(self, call: ApiCall) -> Any: ...


def method_scopes() -> dict[str, frozenset[str]]:
    """Discovery method id -> the scopes any one of which allows it, read from the
    discovery documents the client library ships."""
    found: dict[str, frozenset[str]] = {}

    def walk(node: dict[str, Any]) -> None:
        for method in node.get("methods", {}).values():
            found[method["id"]] = frozenset(method.get("scopes", []))
        for child in node.get("resources", {}).values():
            walk(child)
    for api, version in (("gmail", "v1"), ("calendar", "v3")):
        walk(json.loads(get_static_doc(api, version)))
    return found


class FakeGoogle(Loopback):
    """Gmail, Calendar and the token endpoint for any number of users."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.mailboxes: dict[str, Mailbox] = {}
        self.calendars: dict[str, Calendar] = {}
        self.oauth = OAuthServer(lambda user: user.lower() in self.mailboxes, clock)
        self.faults: list[Fault] = []
        self._random = RandomFaults()
        self.calls: list[Call] = []
        self.batches: list[int] = []  # number of parts in each batch HTTP request
        self.http_requests = 0
        self.errors: list[str] = []  # tracebacks of the fake's own bugs
        self._ids = message_ids()
        self._scopes = method_scopes()
        apis: list[tuple[list[tuple[str, str, str]], _Api]] = [
            (GMAIL_ROUTES, GmailApi(self.mailboxes, clock)),
            (CALENDAR_ROUTES, CalendarApi(self.calendars, clock))]
        self._routes = [(method, re.compile(pattern), endpoint, api)
                        for routes, api in apis for method, pattern, endpoint in routes]
        self._lock = threading.RLock()
        super().__init__(ThreadingHTTPServer, _Handler)

    # -- where the libraries point -------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gmail_endpoint(self) -> str:
        """``api_endpoint`` for Gmail: its method paths already start ``gmail/v1/``."""
        return self.base_url + "/"

    @property
    def calendar_endpoint(self) -> str:
        """``api_endpoint`` for Calendar: it replaces rootUrl *and* servicePath."""
        return self.base_url + "/calendar/v3/"

    @property
    def token_uri(self) -> str:
        return self.base_url + "/token"

    @property
    def gmail_batch_uri(self) -> str:
        return self.base_url + "/batch/gmail/v1"

    @property
    def calendar_batch_uri(self) -> str:
        return self.base_url + "/batch/calendar/v3"

    # -- state ---------------------------------------------------------------------
    def add_user(self, address: str) -> Mailbox:
        """A Workspace user with an empty mailbox and primary calendar."""
        key = address.lower()
        self.mailboxes[key] = Mailbox(key, self._ids, self.clock)
        self.calendars[key] = Calendar(key, self.clock)
        return self.mailboxes[key]

    def mailbox(self, address: str) -> Mailbox:
        return self.mailboxes[address.lower()]

    def calendar(self, address: str) -> Calendar:
        return self.calendars[address.lower()]

    def service_account(self, delegated_scopes: set[str] | None = None) -> dict[str, str]:
        """Service-account JSON (with a fresh private key) whose ``token_uri`` is this
        server; the admin delegated ``delegated_scopes`` (None: any scope)."""
        return self.oauth.new_service_account(self.token_uri, delegated_scopes)

    def authorize_user(self, address: str, scopes: set[str]) -> dict[str, str]:
        """``authorized_user`` info, as if ``address`` consented to ``scopes``.
        Build ``google.oauth2.credentials.Credentials(..., token_uri=...)`` from it:
        ``from_authorized_user_info`` would send the refresh to Google instead."""
        return self.oauth.authorize(address.lower(), scopes, self.token_uri)

    def oauth_client(self) -> dict[str, dict[str, Any]]:
        """A desktop-app client config (``client_secrets.json``) whose ``auth_uri``
        and ``token_uri`` are this server, for ``InstalledAppFlow``."""
        client_id, secret = self.oauth.new_client()
        return {"installed": {"client_id": client_id, "client_secret": secret,
                              "project_id": "fake-project",
                              "auth_uri": self.base_url + "/o/oauth2/auth",
                              "token_uri": self.token_uri,
                              "redirect_uris": ["http://localhost"]}}

    def consent_as(self, address: str | None) -> None:
        """The user signed in at the consent page, who approves whatever is asked."""
        self.oauth.consenting_user = address.lower() if address else None

    def revoke(self, refresh_token: str) -> None:
        self.oauth.revoke(refresh_token)

    def expire_access_tokens(self, user: str | None = None) -> None:
        self.oauth.expire_access_tokens(user)

    # -- faults and counting --------------------------------------------------------
    def fail_next(self, count: int, status: int, *, reason: str | None = None,
                  retry_after: str | None = None, endpoint: str | None = None,
                  user: str | None = None) -> None:
        """The next ``count`` matching calls answer ``status`` with Google's error
        body (429 gets ``Retry-After: 1`` unless told otherwise). See :class:`Fault`."""
        if status == 429 and retry_after is None:
            retry_after = "1"
        self.faults.append(Fault(count, status, reason, retry_after, endpoint, user))

    def drop_next(self, count: int, *, endpoint: str | None = None,
                  user: str | None = None) -> None:
        """Close the connection without answering the next ``count`` matching calls."""
        self.faults.append(Fault(count, None, endpoint=endpoint, user=user))

    @property
    def random_faults(self) -> int:
        """How many calls :meth:`fail_at_random` has failed so far."""
        return self._random.count

    def fail_at_random(self, rate: float, seed: int, *,
                       statuses: tuple[int | None, ...] = (429, 503, None)) -> None:
        """From now on each call (token, batch, API request, batch part) that no
        scheduled fault claims fails with probability ``rate``, answering a status
        drawn from ``statuses`` (None drops the connection), from an RNG seeded with
        ``seed``; :attr:`random_faults` counts them. ``rate`` 0 turns it off."""
        self._random.start(rate, seed, statuses)

    def count(self, endpoint: str | None = None, *, user: str | None = None,
              batched: bool | None = None, status: int | None = None) -> int:
        """How many calls matched; ``batched`` True counts only batch parts."""
        return sum(1 for call in self.calls
                   if (endpoint is None or call.endpoint == endpoint)
                   and (user is None or call.user == user)
                   and (batched is None or (call.batch is not None) == batched)
                   and (status is None or call.status == status))

    # -- serving --------------------------------------------------------------------
    def serve(self, method: str, target: str, headers: dict[str, str],
              body: bytes) -> Reply | None:
        """Answer one HTTP request (None: drop the connection)."""
        with self._lock:
            self.http_requests += 1
            path, query = _split(target)
            try:
                if method == "POST" and path == "/token":
                    return self._token(headers, body)
                if method == "GET" and path in CONSENT_PATHS:
                    return self.oauth.consent_page({k: v[0] for k, v in query.items()})
                if method == "POST" and path in BATCH_PATHS:
                    return self._batch(headers, body)
                return self._api(method, path, query, headers, None)
            except Exception:
                self.errors.append(traceback.format_exc())
                return GoogleError(500, "fakeGoogleBug", "fake_google crashed").reply()

    def _token(self, headers: dict[str, str], body: bytes) -> Reply | None:
        if headers.get("content-type", "").startswith("application/json"):
            form = {k: str(v) for k, v in json.loads(body or b"{}").items()}
        else:
            form = dict(urllib.parse.parse_qsl(body.decode()))
        form.update(_basic_client(headers.get("authorization", "")))
        fault = self._fault("oauth.token", None, top_level=True)
        if fault is not None:
            self.calls.append(Call("oauth.token", None, fault.status or 0))
            return fault.error().reply() if fault.status else None
        reply, user = self.oauth.token(form)
        self.calls.append(Call("oauth.token", user, reply.status))
        return reply

    def _batch(self, headers: dict[str, str], body: bytes) -> Reply | None:
        grant = self.oauth.grant_for(headers.get("authorization"))
        user = grant.user if grant else None
        fault = self._fault("batch", user, top_level=True)
        if fault is not None:
            self.calls.append(Call("batch", user, fault.status or 0))
            return fault.error().reply() if fault.status else None
        try:
            parts = parse_batch(headers.get("content-type", ""), body)
            gmail = any(part.target.startswith("/gmail/") for part in parts)
            limit = GMAIL_BATCH_LIMIT if gmail else CALENDAR_BATCH_LIMIT
            if len(parts) > limit:
                raise GoogleError(400, "badRequest", "Inner request count exceeds the limit. "
                                  f"Received: {len(parts)}, Limit: {limit}")
        except GoogleError as error:
            self.calls.append(Call("batch", user, error.code))
            return error.reply()
        index = len(self.batches)
        self.batches.append(len(parts))
        answers: list[tuple[str, Reply]] = []
        for part in parts:
            path, query = _split(part.target)
            merged = {"authorization": headers.get("authorization", ""), **part.headers}
            reply = self._api(part.method, path, query, merged, index)
            if reply is None:
                return None
            answers.append((part.content_id, reply))
        self.calls.append(Call("batch", user, 200))
        return batch_reply(answers)

    def _api(self, method: str, path: str, query: dict[str, list[str]],
             headers: dict[str, str], batch: int | None) -> Reply | None:
        route = self._route(method, path)
        if route is None:
            self.calls.append(Call(f"{method} {path}", None, 404, batch))
            return not_found().reply()
        endpoint, args, api = route
        grant = self.oauth.grant_for(headers.get("authorization"))
        user = grant.user if grant else None
        fault = self._fault(endpoint, user, top_level=batch is None)
        if fault is not None and fault.status is None:
            self.calls.append(Call(endpoint, user, 0, batch))
            return None
        try:
            if fault is not None:
                raise fault.error()
            if grant is None:
                raise unauthenticated()
            if not grant.scopes & self._scopes[endpoint]:
                raise insufficient_scopes()
            call = ApiCall(endpoint, args, query, grant.user, grant.scopes)
            fields = call.param("fields")
            reply = json_reply(select(api.handle(call), fields))
        except GoogleError as error:
            reply = error.reply()
        self.calls.append(Call(endpoint, user, reply.status, batch))
        return reply

    def _route(self, method: str, path: str) -> tuple[str, dict[str, str], _Api] | None:
        for route_method, pattern, endpoint, api in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                args = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
                return endpoint, args, api
        return None

    def _fault(self, endpoint: str, user: str | None, *, top_level: bool) -> Fault | None:
        for fault in self.faults:
            if fault.matches(endpoint, user, top_level=top_level):
                fault.remaining -= 1
                return fault
        return self._random_fault()

    def _random_fault(self) -> Fault | None:
        drawn = self._random.next()
        if drawn is None:
            return None
        (status,) = drawn
        return Fault(0, status, retry_after="1" if status == 429 else None)

    # -- lifetime -------------------------------------------------------------------
    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        super().__exit__(kind, error, trace)
        if self.errors and kind is None:
            raise RuntimeError("fake_google crashed while serving:\n" + self.errors[0])


def _basic_client(authorization: str) -> dict[str, str]:
    """``client_secret_basic`` (RFC 6749 §2.3.1), as requests-oauthlib sends the
    client of the installed-app flow: id and secret form-encoded, then base64."""
    if not authorization.lower().startswith("basic "):
        return {}
    decoded = base64.b64decode(authorization[6:].strip()).decode()
    client_id, _, secret = decoded.partition(":")
    return {"client_id": urllib.parse.unquote_plus(client_id),
            "client_secret": urllib.parse.unquote_plus(secret)}


def _split(target: str) -> tuple[str, dict[str, list[str]]]:
    parts = urllib.parse.urlsplit(target)
    return parts.path, urllib.parse.parse_qs(parts.query, keep_blank_values=True)


class _Handler(ReplyHandler):
    server_version = "ESF"


BROWSER = "fake-google"


class _ConsentBrowser:
    """Opens the consent URL the way a person's browser would: it follows the fake's
    redirect back to the sign-in flow's loopback server, in the background."""

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read(),
                         daemon=True).start()
        return True


def register_consent_browser() -> str:
    """Register the browser with :mod:`webbrowser`; returns its name."""
    webbrowser.register(BROWSER, None, _ConsentBrowser())  # type: ignore[arg-type]
    return BROWSER
