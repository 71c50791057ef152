"""A fake Microsoft on 127.0.0.1 over HTTPS: the identity platform (OIDC discovery,
device code, token) and Graph v1.0 mail/calendar delta and ``$batch``.

The Outlook connectors are tested through the real client stack, ``msal`` for
sign-in and ``requests`` for Graph, so what those libraries put on the wire is
exercised and only the far end is ours (shared/REMOTE-APIS.md §0, §4, §5). MSAL
accepts only ``https://`` authorities, so the fake speaks TLS with a CA made for
each instance; hand :attr:`FakeMicrosoft.ca_file` to the client (syncd's ``ca_file:``
setting)::

    with FakeMicrosoft() as ms:
        ms.add_user("alice@acme.test").add(raw_bytes)          # RFC 822 -> Inbox
        http = requests.Session()
        http.verify, http.trust_env = str(ms.ca_file), False
        app = msal.PublicClientApplication(
            ms.public_app("acme.test"), authority=ms.authority("acme.test"),
            instance_discovery=False, http_client=http)
        flow = app.initiate_device_flow(["https://graph.microsoft.com/Mail.Read"])
        ms.approve(flow["user_code"], "alice@acme.test")
        token = app.acquire_token_by_device_flow(flow)["access_token"]
        http.get(ms.graph_url + "/me/mailFolders/inbox/messages/delta",
                 headers={"Authorization": f"Bearer {token}"})

Tests drive state through :meth:`mailbox` / :meth:`calendar`
(``tests/fakes/graph_mail.py``, ``graph_calendar.py``; hold :attr:`lock` when a
client may be mid-request), register apps with :meth:`public_app` /
:meth:`confidential_app`, play the person at the device-code page with
:meth:`approve`, schedule faults with :meth:`fail_next` / :meth:`drop_next`, and read
:attr:`calls` (endpoint, mailbox owner, status, batch) through :meth:`count`. A bug
in the fake answers 500 *and* is raised when the context manager exits, so it can
never pass for a Microsoft outage a connector retried through.

What the client libraries do that a connector must handle (seen against this fake,
msal 1.39.0, requests 2.34): ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` in the
environment replace a session's ``verify`` (requests merges the environment over the
session), and MSAL's ``verify=`` is a session setting, so a custom CA only works
through an ``http_client`` session with ``trust_env = False``; MSAL needs
``instance_discovery=False`` for a host it does not know, refuses ``http://``
authorities, caches discovery per app, replays an identical 400 token answer from
memory for 60 s, raises ``MsalServiceError`` for a 5xx token answer and then replays
it until ``Retry-After`` (default 5 s) has passed; ``acquire_token_silent`` answers
None where ``acquire_token_silent_with_error`` shows the ``invalid_grant``.

Endpoint names (for faults and counters): ``identity.openid``, ``identity.keys``,
``identity.devicecode``, ``identity.token``, ``user``, ``mail.folders``,
``mail.folder``, ``mail.delta``, ``mail.message``, ``calendar.delta``, ``batch``.
"""

from __future__ import annotations

import json
import re
import shutil
import ssl
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.fakes.graph_api import GraphApi, GraphCall, prefer_values, route
from tests.fakes.graph_calendar import Attendee, Calendar
from tests.fakes.graph_delta import page_size
from tests.fakes.graph_mail import Mailbox
from tests.fakes.graph_wire import (
    OAUTH_JSON,
    Call,
    Fault,
    GraphError,
    Reply,
    bad_request,
    json_reply,
    throttled,
    unauthenticated,
)
from tests.fakes.loopback import Loopback, RandomFaults, ReplyHandler
from tests.fakes.ms_identity import Grant, Identity, Tenant, TokenError
from tests.fakes.ms_tls import make_tls_files, server_context

GRAPH_SCOPE = "https://graph.microsoft.com/"
BATCH_LIMIT = 20  # V-doc json-batching
MAILBOX_CONCURRENCY = 4  # V-doc throttling-limits, Outlook service: per app + mailbox
ENDPOINTS = ("identity.openid", "identity.keys", "identity.devicecode", "identity.token",
             "user", "mail.folders", "mail.folder", "mail.delta", "mail.message",
             "calendar.delta", "batch")
_IDENTITY = [("GET", re.compile(r"/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration"),
              "identity.openid"),
             ("GET", re.compile(r"/(?P<tenant>[^/]+)/discovery/v2\.0/keys"), "identity.keys"),
             ("POST", re.compile(r"/(?P<tenant>[^/]+)/oauth2/v2\.0/devicecode"),
              "identity.devicecode"),
             ("POST", re.compile(r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token"), "identity.token")]
__all__ = ["ENDPOINTS", "GRAPH_SCOPE", "Attendee", "FakeMicrosoft"]


class FakeMicrosoft(Loopback):
    """Tenants, users (mailbox + calendar), app registrations, and the endpoints."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._tls_dir = Path(tempfile.mkdtemp(prefix="fake-microsoft-"))
        self.ca_file, cert_file, key_file = make_tls_files(self._tls_dir)
        self.mailboxes: dict[str, Mailbox] = {}
        self.calendars: dict[str, Calendar] = {}
        self.faults: list[Fault] = []
        self._random = RandomFaults()
        self.calls: list[Call] = []
        self.batches: list[int] = []  # parts in each $batch request
        self.http_requests = 0
        self.errors: list[str] = []  # tracebacks of the fake's own bugs
        self.max_concurrent = MAILBOX_CONCURRENCY
        self.latency = 0.0  # seconds each Graph request ($batch too) is held
        # Graph may send fewer than odata.maxpagesize asks: pages of at most this many
        # (None: as asked, up to the cap)
        self.max_page_size: int | None = None
        # Parts of one $batch beyond this many for the same mailbox answer 429
        # ApplicationThrottled, as reported when Graph runs them side by side (None: off;
        # public reports, not documented: github.com/microsoftgraph/microsoft-graph-docs
        # issues 2886 and 8760).
        self.batch_mailbox_limit: int | None = None
        self.peak_concurrency: dict[str, int] = defaultdict(int)
        self._in_flight: dict[str, int] = defaultdict(int)
        self._numbers = iter(range(1, 1 << 40))
        self._lock = threading.RLock()
        super().__init__(_TlsServer, _Handler)
        self._server.context = server_context(cert_file, key_file)  # type: ignore[attr-defined]
        self.identity = Identity(self.base_url, clock)
        self.graph = GraphApi(lambda: self.graph_url, self.mailboxes, self.calendars)

    @property
    def lock(self) -> threading.RLock:
        """Hold this while changing mailboxes or calendars when a client may be
        talking to the fake at the same moment (every request is served under it)."""
        return self._lock

    # -- where the libraries point ----------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def graph_url(self) -> str:
        """Graph's base, as syncd's ``endpoints: graph`` takes it (``.../v1.0``)."""
        return self.base_url + "/v1.0"

    def authority(self, tenant: str) -> str:
        """MSAL ``authority`` for a tenant domain or id (or ``organizations``)."""
        found = self.identity.find_tenant(tenant)
        return f"{self.base_url}/{found.id if found else tenant}"

    def tenant(self, domain_or_id: str) -> Tenant:
        found = self.identity.find_tenant(domain_or_id)
        if found is None:
            raise KeyError(domain_or_id)
        return found

    # -- state ------------------------------------------------------------------------
    def add_user(self, upn: str, name: str = "") -> Mailbox:
        """A user with an empty mailbox and calendar, in the tenant of its domain
        (created on first use); returns the mailbox."""
        key = upn.lower()
        domain = key.split("@")[1]
        tenant = self.identity.find_tenant(domain) or self.identity.add_tenant(domain)
        object_id = self.identity.add_user(tenant, key, name)
        self.mailboxes[key] = Mailbox(key, object_id, self.clock, self._numbers)
        self.calendars[key] = Calendar(key, tenant.names[key], self.clock, self._numbers)
        return self.mailboxes[key]

    def mailbox(self, upn: str) -> Mailbox:
        return self.mailboxes[upn.lower()]

    def calendar(self, upn: str) -> Calendar:
        return self.calendars[upn.lower()]

    def public_app(self, tenant: str, delegated: set[str] | None = None) -> str:
        """A public client (device code flow) registered in ``tenant``; returns its
        client id. ``delegated`` limits what users may consent to (None: anything)."""
        app, _ = self.identity.add_app(self.tenant(tenant), delegated=delegated)
        return app.client_id

    def confidential_app(self, tenant: str, roles: set[str], *, secret: bool = True,
                         certificate: bool = False) -> dict[str, str]:
        """An app with admin-consented application permissions (``roles``, e.g.
        ``{"Mail.Read", "Calendars.Read"}``). Returns ``client_id``, ``tenant_id`` and
        ``client_secret`` and/or ``private_key``/``public_certificate``/``thumbprint``."""
        _, credentials = self.identity.add_app(self.tenant(tenant), secret=secret,
                                               certificate=certificate, roles=roles)
        return credentials

    def approve(self, user_code: str, upn: str) -> None:
        """The person signs in as ``upn`` and enters ``user_code``."""
        with self._lock:
            self.identity.approve(user_code, upn)

    def decline(self, user_code: str) -> None:
        with self._lock:
            self.identity.decline(user_code)

    def slow_down(self, user_code: str, polls: int = 1) -> None:
        """The next ``polls`` polls of this device code answer ``slow_down``."""
        with self._lock:
            self.identity.pending(user_code).slow_down = polls

    def expire_device_code(self, user_code: str) -> None:
        with self._lock:
            self.identity.pending(user_code).expires_at = 0

    def revoke(self, upn: str) -> None:
        """Revoke the user's sessions: refresh now answers ``invalid_grant``."""
        with self._lock:
            self.identity.revoke(upn)

    def expire_access_tokens(self, upn: str | None = None) -> None:
        with self._lock:
            self.identity.expire_access_tokens(upn)

    def expire_delta(self, upn: str, folder: str | None = None) -> None:
        """Forget the sync state of a mail folder (or, with no folder, of every folder
        and the calendar): its delta and next links now answer 410."""
        with self._lock:
            mailbox = self.mailbox(upn)
            if folder is not None:
                mailbox.folder(folder).delta.expire()
                return
            for each in mailbox.folders.values():
                each.delta.expire()
            self.calendar(upn).delta.expire()

    # -- faults and counting ----------------------------------------------------------
    def fail_next(self, count: int, status: int, *, code: str | None = None,
                  retry_after: str | None = None, endpoint: str | None = None,
                  user: str | None = None) -> None:
        """The next ``count`` matching calls answer ``status`` (429, 500, 502, 503,
        504) with Graph's error envelope, or the OAuth error shape on
        ``identity.*``; 429 gets ``Retry-After: 1`` unless told (fractional values
        like ``"0.25"`` are what Graph may send). See :class:`Fault`."""
        if status == 429 and retry_after is None:
            retry_after = "1"
        with self._lock:
            self.faults.append(Fault(count, status, code, retry_after, endpoint,
                                     user.lower() if user else None))

    def drop_next(self, count: int, *, endpoint: str | None = None,
                  user: str | None = None) -> None:
        """Close the connection without answering the next ``count`` matching calls."""
        with self._lock:
            self.faults.append(Fault(count, None, endpoint=endpoint,
                                     user=user.lower() if user else None))

    @property
    def random_faults(self) -> int:
        """How many calls :meth:`fail_at_random` has failed so far."""
        return self._random.count

    def fail_at_random(self, rate: float, seed: int, *,
                       statuses: tuple[int | None, ...] = (429, 503, None)) -> None:
        """From now on each call (identity, ``$batch``, Graph request, batch part)
        that no scheduled fault claims fails with probability ``rate``, answering a
        status drawn from ``statuses`` (None drops the connection), from an RNG
        seeded with ``seed``; :attr:`random_faults` counts them. ``rate`` 0 turns it
        off. Each says ``Retry-After: 0``: MSAL replays a throttled token answer for
        its Retry-After (5 s without one), which would outlast a test's runs."""
        with self._lock:
            self._random.start(rate, seed, statuses)

    def count(self, endpoint: str | None = None, *, user: str | None = None,
              batched: bool | None = None, status: int | None = None) -> int:
        """How many calls matched; ``batched`` True counts only ``$batch`` parts."""
        wanted = user.lower() if user else None
        return sum(1 for call in self.calls
                   if (endpoint is None or call.endpoint == endpoint)
                   and (wanted is None or call.user == wanted)
                   and (batched is None or (call.batch is not None) == batched)
                   and (status is None or call.status == status))

    # -- serving ----------------------------------------------------------------------
    def serve(self, method: str, target: str, headers: dict[str, str],
              body: bytes) -> Reply | None:
        """Answer one HTTP request (None: drop the connection)."""
        with self._lock:
            self.http_requests += 1
        parts = urllib.parse.urlsplit(target)
        path = parts.path
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        try:
            if path.startswith("/v1.0/"):
                if method == "POST" and path == "/v1.0/$batch":
                    if self.latency:
                        time.sleep(self.latency)
                    with self._lock:
                        return self._batch(headers, body)
                return self._graph_top(method, path[5:], query, headers)
            with self._lock:
                return self._identity(method, path, headers, body)
        except Exception:
            self.errors.append(traceback.format_exc())
            return GraphError(500, "fakeMicrosoftBug", "fake_microsoft crashed").reply()

    def _identity(self, method: str, path: str, headers: dict[str, str],
                  body: bytes) -> Reply | None:
        for route_method, pattern, endpoint in _IDENTITY:
            match = pattern.fullmatch(path)
            if match is None or method != route_method:
                continue
            segment = match.group("tenant")
            fault = self._fault(endpoint, None, top_level=True)
            if fault is not None:
                self.calls.append(Call(endpoint, None, fault.status or 0))
                return fault.oauth_reply() if fault.status else None
            if not self.identity.known_segment(segment):
                reply = TokenError("invalid_tenant", 90002,
                                   f"Tenant '{segment}' not found.").reply()
                self.calls.append(Call(endpoint, None, reply.status))
                return reply
            form = dict(urllib.parse.parse_qsl(body.decode()))
            user: str | None = None
            if endpoint == "identity.openid":
                reply = self.identity.openid_configuration(segment)
            elif endpoint == "identity.keys":
                reply = self.identity.keys()
            elif endpoint == "identity.devicecode":
                reply = self.identity.device_code(segment, form)
            else:
                reply, user = self.identity.token(segment, form)
            self.calls.append(Call(endpoint, user, reply.status))
            return reply
        self.calls.append(Call(f"{method} {path}", None, 404))
        return json_reply({"error": "not_found"}, 404, content_type=OAUTH_JSON)

    def _graph_top(self, method: str, path: str, query: dict[str, list[str]],
                   headers: dict[str, str]) -> Reply | None:
        """A Graph request on its own connection: held for :attr:`latency` while it
        counts against its mailbox's concurrency limit."""
        with self._lock:
            owner = self._owner_of(path, headers)
            if owner is not None:
                self._in_flight[owner] += 1
                self.peak_concurrency[owner] = max(self.peak_concurrency[owner],
                                                   self._in_flight[owner])
                crowded = self._in_flight[owner] > self.max_concurrent
        try:
            if owner is not None and crowded:
                with self._lock:
                    endpoint = (route(method, path) or ("GET " + path, {}))[0]
                    self.calls.append(Call(endpoint, owner, 429))
                return throttled("1", concurrency=True).reply(headers.get("client-request-id"))
            if self.latency:
                time.sleep(self.latency)
            with self._lock:
                return self._graph(method, path, query, headers, None)
        finally:
            if owner is not None:
                with self._lock:
                    self._in_flight[owner] -= 1

    def _owner_of(self, path: str, headers: dict[str, str]) -> str | None:
        """The mailbox a request is about, for the concurrency limit."""
        match = re.match(r"/users/([^/]+)", path)
        if match:
            found = self.identity.find_user(urllib.parse.unquote(match.group(1)))
            return found[1] if found else None
        grant = self.identity.grant_for(headers.get("authorization"))
        return grant.user if grant and path.startswith("/me") else None

    def _graph(self, method: str, path: str, query: dict[str, list[str]],
               headers: dict[str, str], batch: int | None) -> Reply | None:
        client_request = headers.get("client-request-id")
        routed = route(method, path)
        if routed is None:
            self.calls.append(Call(f"{method} {path}", None, 400, batch))
            segment = path.rsplit("/", 1)[-1]
            return bad_request(f"Resource not found for the segment '{segment}'.",
                               "BadRequest").reply(client_request)
        endpoint, args = routed
        grant = self.identity.grant_for(headers.get("authorization"))
        upn: str | None = None
        try:
            if grant is None:
                raise unauthenticated("Lifetime validation failed, the token is expired."
                                      if headers.get("authorization") else
                                      "Access token is empty.")
            upn = self._mailbox_owner(grant, args)
            fault = self._fault(endpoint, upn, top_level=batch is None)
            if fault is not None and fault.status is None:
                self.calls.append(Call(endpoint, upn, 0, batch))
                return None
            if fault is not None:
                raise fault.error()
            reply = self.graph.handle(GraphCall(
                endpoint, args, query, self._prefer(headers.get("prefer", "")), grant, upn,
                args["owner"]))
        except GraphError as error:
            reply = error.reply(client_request)
        self.calls.append(Call(endpoint, upn, reply.status, batch))
        extra = [("request-id", str(uuid.uuid4()))]
        if client_request:
            extra.append(("client-request-id", client_request))
        return Reply(reply.status, reply.body, reply.headers + tuple(extra), reply.content_type)

    def _prefer(self, header: str) -> list[str]:
        """The ``Prefer`` values, the page size capped at :attr:`max_page_size`."""
        values = prefer_values(header)
        if self.max_page_size is None:
            return values
        size = min(page_size(values)[0], self.max_page_size)
        return [value for value in values
                if value.partition("=")[0].strip().lower() != "odata.maxpagesize"
                ] + [f"odata.maxpagesize={size}"]

    def _mailbox_owner(self, grant: Grant, args: dict[str, str]) -> str:
        if args["owner"] == "me":
            if grant.user is None:
                raise bad_request("/me request is only valid with delegated authentication "
                                  "flow.", "BadRequest")
            return grant.user
        found = self.identity.find_user(args["user"])
        if found is None or found[0].id != grant.tenant or found[1] not in self.mailboxes:
            raise GraphError(404, "ErrorInvalidUser",  # code UNVERIFIED
                             f"The requested user '{args['user']}' is invalid.")
        if grant.user is not None and grant.user != found[1]:
            raise GraphError(403, "ErrorAccessDenied",
                             "Access is denied. Check credentials and try again.")
        return found[1]

    def _batch(self, headers: dict[str, str], body: bytes) -> Reply | None:
        grant = self.identity.grant_for(headers.get("authorization"))
        user = grant.user if grant else None
        fault = self._fault("batch", user, top_level=True)
        if fault is not None:
            self.calls.append(Call("batch", user, fault.status or 0))
            return fault.error().reply() if fault.status else None
        try:
            requests = json.loads(body or b"{}").get("requests")
            if not isinstance(requests, list) or not requests:
                raise bad_request("Invalid batch payload format.", "BadRequest")
            if len(requests) > BATCH_LIMIT:
                raise bad_request(f"The number of requests in the batch ({len(requests)}) "
                                  f"exceeds the limit of {BATCH_LIMIT}.", "BadRequest")
            ids = [str(part.get("id")) for part in requests]
            if len(set(ids)) != len(ids):
                raise bad_request("Batch request contains duplicate ids.", "BadRequest")
        except (GraphError, ValueError, AttributeError) as error:
            refusal = (error if isinstance(error, GraphError)
                       else bad_request("Invalid batch payload format.", "BadRequest")).reply()
            self.calls.append(Call("batch", user, refusal.status))
            return refusal
        index = len(self.batches)
        self.batches.append(len(requests))
        statuses: dict[str, int] = {}
        answers: list[dict[str, Any]] = []
        per_mailbox: dict[str, int] = defaultdict(int)
        for part in requests:
            part_id = str(part["id"])
            failed = [d for d in part.get("dependsOn", []) if statuses.get(str(d), 424) >= 400]
            reply: Reply | None
            if failed:
                reply = GraphError(424, "FailedDependency", "Failed dependency.").reply()
            else:
                target = urllib.parse.urlsplit("/" + str(part.get("url", "")).lstrip("/"))
                merged = {"authorization": headers.get("authorization", ""),
                          **{k.lower(): str(v) for k, v in part.get("headers", {}).items()}}
                method = str(part.get("method", "GET")).upper()
                owner = self._owner_of(target.path, merged)
                if owner is not None:
                    per_mailbox[owner] += 1
                if (owner is not None and self.batch_mailbox_limit is not None
                        and per_mailbox[owner] > self.batch_mailbox_limit):
                    endpoint = (route(method, target.path) or (f"{method} {target.path}",))[0]
                    self.calls.append(Call(endpoint, owner, 429, index))
                    reply = throttled("1", concurrency=True).reply()
                else:
                    reply = self._graph(method, target.path,
                                        urllib.parse.parse_qs(target.query,
                                                              keep_blank_values=True),
                                        merged, index)
            if reply is None:
                return None
            statuses[part_id] = reply.status
            answers.append({"id": part_id, "status": reply.status,
                            "headers": {"Content-Type": reply.content_type,
                                        **dict(reply.headers)},
                            "body": reply.json()})
        self.calls.append(Call("batch", user, 200))
        answers.reverse()  # Graph answers in any order; the fake's is never the asked one
        return json_reply({"responses": answers})

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
        return Fault(0, status, retry_after="0" if status else None)

    # -- lifetime ---------------------------------------------------------------------
    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        super().__exit__(kind, error, trace)
        shutil.rmtree(self._tls_dir, ignore_errors=True)
        if self.errors and kind is None:
            raise RuntimeError("fake_microsoft crashed while serving:\n" + self.errors[0])


class _TlsServer(ThreadingHTTPServer):
    """TLS per connection, handshaken in the connection's own thread so a client that
    refuses the certificate (or never speaks) cannot stall the accept loop."""

    context: ssl.SSLContext

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        return self.context.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False), address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: refused handshakes and dropped connections are what tests provoke."""


class _Handler(ReplyHandler):
    server_version = "Microsoft-IIS/10.0"
