"""The vocabulary the fake Microsoft endpoints share: replies, Graph's error
envelope, opaque tokens, scheduled faults and the call log.

Graph errors all use one envelope (shared/REMOTE-APIS.md §4, V-doc json-batching
sample)::

    {"error": {"code": "...", "message": "...",
               "innerError": {"date": "...", "request-id": "...", "client-request-id": "..."}}}

The codes used here: ``InvalidAuthenticationToken`` (401), ``ErrorAccessDenied``
(403), ``ErrorItemNotFound`` (404), ``ErrorInvalidParameter`` / ``BadRequest`` (400),
``syncStateNotFound`` (410), ``TooManyRequests`` / ``ApplicationThrottled`` (429),
``ServiceUnavailable`` (503), ``InternalServerError`` (500), ``GatewayTimeout`` (504).
The 429 texts are the documented throttling sample; the others are UNVERIFIED
spellings seen in public reports (clients must only branch on status and code).
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# What Graph sends for JSON answers (the odata parameters are what clients see).
GRAPH_JSON = ("application/json;odata.metadata=minimal;odata.streaming=true;"
              "IEEE754Compatible=false;charset=utf-8")
OAUTH_JSON = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Reply:
    """One HTTP answer (also one part of a ``$batch`` answer)."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = GRAPH_JSON

    def json(self) -> Any:
        """The body decoded, for embedding in a ``$batch`` answer."""
        return json.loads(self.body) if self.body else None


def json_reply(data: object, status: int = 200, headers: tuple[tuple[str, str], ...] = (),
               content_type: str = GRAPH_JSON) -> Reply:
    return Reply(status, json.dumps(data).encode(), headers, content_type)


class GraphError(Exception):
    """Raised inside a Graph handler; becomes the error envelope with that status."""

    def __init__(self, status: int, code: str, message: str,
                 headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.headers = status, code, message, headers

    def reply(self, client_request_id: str | None = None) -> Reply:
        inner = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                 "request-id": str(uuid.uuid4()),
                 "client-request-id": client_request_id or str(uuid.uuid4())}
        if self.status == 429:  # the documented throttling sample carries these too
            inner.update({"code": "429", "message": "Please retry after", "status": "429"})
        return json_reply({"error": {"code": self.code, "message": self.message,
                                     "innerError": inner}}, self.status, self.headers)


def unauthenticated(message: str = "Access token is empty.") -> GraphError:
    """401 for a missing, unknown or expired token (header text UNVERIFIED)."""
    return GraphError(401, "InvalidAuthenticationToken", message,
                      (("WWW-Authenticate", 'Bearer realm="", '
                        'authorization_uri="https://login.microsoftonline.com/common/'
                        'oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'),))


def access_denied() -> GraphError:
    return GraphError(403, "ErrorAccessDenied",
                      "Access is denied. Check credentials and try again.")


def not_found(what: str = "The specified object was not found in the store.") -> GraphError:
    return GraphError(404, "ErrorItemNotFound", what)


def bad_request(message: str, code: str = "ErrorInvalidParameter") -> GraphError:
    return GraphError(400, code, message)


def throttled(retry_after: str, *, concurrency: bool = False) -> GraphError:
    """429 as Outlook sends it: rate (``TooManyRequests``) or the per-mailbox limit of
    4 concurrent requests (``ApplicationThrottled``; text UNVERIFIED, widely reported)."""
    if concurrency:
        return GraphError(429, "ApplicationThrottled",
                          "Application is over its MailboxConcurrency limit.",
                          (("Retry-After", retry_after),))
    return GraphError(429, "TooManyRequests", "Please retry again later.",
                      (("Retry-After", retry_after),))


_FAULTS: dict[int, tuple[str, str]] = {
    429: ("TooManyRequests", "Please retry again later."),
    500: ("InternalServerError", "An internal server error occurred."),
    502: ("BadGateway", "Bad Gateway"),
    503: ("ServiceUnavailable", "Service Unavailable"),
    504: ("GatewayTimeout", "Gateway Timeout"),
}


@dataclass
class Fault:
    """The next ``remaining`` matching calls fail this way.

    ``status=None`` drops the connection without an answer. ``endpoint`` is one of
    the names in :data:`tests.fake_microsoft.ENDPOINTS` (``mail.delta``,
    ``identity.token``, ``batch``...); None matches any top-level Graph request (not
    the identity platform, not batch parts). A named Graph endpoint also matches
    ``$batch`` parts, which Graph throttles one by one. ``user`` is the mailbox
    owner's lower-case address."""

    remaining: int
    status: int | None
    code: str | None = None
    retry_after: str | None = None
    endpoint: str | None = None
    user: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in _FAULTS:
            raise ValueError(f"no fault body for status {self.status}")

    def matches(self, endpoint: str, user: str | None, *, top_level: bool) -> bool:
        if self.remaining <= 0:
            return False
        if self.endpoint is None:
            wanted = top_level and endpoint.split(".", 1)[0] not in {"identity", "batch"}
        else:
            wanted = self.endpoint == endpoint
        return wanted and (self.user is None or self.user == user)

    def error(self) -> GraphError:
        assert self.status is not None
        code, message = _FAULTS[self.status]
        headers = (("Retry-After", self.retry_after),) if self.retry_after else ()
        return GraphError(self.status, self.code or code, message, headers)

    def oauth_reply(self) -> Reply:
        """The identity platform's shape for the same fault (OAuth error JSON)."""
        assert self.status is not None
        headers = (("Retry-After", self.retry_after),) if self.retry_after else ()
        return json_reply({"error": "temporarily_unavailable",
                           "error_description": f"AADSTS50196: fake fault {self.status}",
                           "error_codes": [50196]}, self.status, headers, OAUTH_JSON)


@dataclass(frozen=True)
class Call:
    """One request as the server saw it.

    ``status`` 0 means the connection was dropped; ``batch`` is the index (in
    ``FakeMicrosoft.batches``) of the ``$batch`` request that carried it."""

    endpoint: str
    user: str | None
    status: int
    batch: int | None = None


def encode_token(state: object) -> str:
    """An opaque ``$skiptoken`` / ``$deltatoken`` carrying ``state`` (JSON)."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()
                                    ).decode().rstrip("=")


def decode_token(token: str) -> Any:
    """The state behind a token; a token that is not ours is a 400, as Graph answers
    a mangled one (code UNVERIFIED)."""
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError as error:
        raise bad_request("The value of the delta or skip token is invalid.",
                          "BadRequest") from error
