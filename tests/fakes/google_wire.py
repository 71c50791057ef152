"""The vocabulary every fake Google handler shares: replies, Google's JSON error
bodies, scheduled faults and the call log.

Error bodies follow Google's JSON error format (``{"error": {"code", "message",
"errors": [{"domain", "reason", "message"}], "status"}}``) because the client
library reads them: ``googleapiclient.http._should_retry_response`` retries a 403
only when ``errors[0].reason`` is ``rateLimitExceeded`` or ``userRateLimitExceeded``,
and ``HttpError.reason`` / ``error_details`` come from the same fields. Texts are the
ones quoted in shared/REMOTE-APIS.md §1-2 or seen in public bug reports (429 "Too many
concurrent requests for user", domain ``global``; metadata-scope 403s).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

JSON = "application/json; charset=UTF-8"
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
           404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
           502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


@dataclass(frozen=True)
class Reply:
    """One HTTP answer (also one part of a batch answer)."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = JSON


def json_reply(data: object, status: int = 200,
               headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, json.dumps(data).encode(), headers)


class GoogleError(Exception):
    """Raised inside a handler; becomes Google's error JSON with that status."""

    def __init__(self, code: int, reason: str, message: str, *, domain: str = "global",
                 status: str | None = "", location: tuple[str, str] | None = None,
                 headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code, self.reason, self.message = code, reason, message
        self.domain, self.location, self.headers = domain, location, headers
        self.status = _STATUS.get(code) if status == "" else status

    def reply(self) -> Reply:
        detail: dict[str, str] = {"message": self.message, "domain": self.domain,
                                  "reason": self.reason}
        if self.location is not None:
            detail["locationType"], detail["location"] = self.location
        error: dict[str, object] = {"code": self.code, "message": self.message,
                                    "errors": [detail]}
        if self.status:
            error["status"] = self.status
        return json_reply({"error": error}, self.code, self.headers)


def not_found() -> GoogleError:
    return GoogleError(404, "notFound", "Requested entity was not found.")


def bad_request(message: str, reason: str = "invalidArgument") -> GoogleError:
    return GoogleError(400, reason, message)


def unauthenticated() -> GoogleError:
    """401 as Google sends it for a missing, unknown or expired access token."""
    return GoogleError(
        401, "authError", "Request had invalid authentication credentials. Expected OAuth 2 "
        "access token, login cookie or other valid authentication credential.",
        location=("header", "Authorization"),
        headers=(("WWW-Authenticate",
                  'Bearer realm="https://accounts.google.com/", error="invalid_token"'),))


def insufficient_scopes() -> GoogleError:
    return GoogleError(403, "insufficientPermissions",
                       "Request had insufficient authentication scopes.")


_FAULTS: dict[int, tuple[str, str, str, str | None]] = {
    429: ("rateLimitExceeded", "Too many concurrent requests for user", "global",
          "RESOURCE_EXHAUSTED"),
    500: ("backendError", "Backend Error", "global", "INTERNAL"),
    502: ("backendError", "Bad Gateway", "global", "UNAVAILABLE"),
    503: ("backendError", "The service is currently unavailable.", "global", "UNAVAILABLE"),
    504: ("backendError", "Deadline exceeded.", "global", "DEADLINE_EXCEEDED"),
}
_RATE_403 = {"rateLimitExceeded": "Rate Limit Exceeded",
             "userRateLimitExceeded": "User Rate Limit Exceeded"}


@dataclass
class Fault:
    """The next ``remaining`` matching calls fail this way.

    ``status=None`` drops the connection without an answer. ``endpoint`` is a
    discovery method id (``gmail.users.messages.get``), ``batch`` or ``oauth.token``;
    None matches any top-level API request (not the token endpoint, not batch parts).
    A named method also matches the parts of a batch, as Google rate-limits parts
    one by one.
    """

    remaining: int
    status: int | None
    reason: str | None = None
    retry_after: str | None = None
    endpoint: str | None = None
    user: str | None = None

    def __post_init__(self) -> None:
        if self.status == 403 and self.reason not in _RATE_403:
            raise ValueError(f"a 403 fault needs reason in {sorted(_RATE_403)}")
        if self.status is not None and self.status != 403 and self.status not in _FAULTS:
            raise ValueError(f"no fault body for status {self.status}")

    def matches(self, endpoint: str, user: str | None, *, top_level: bool) -> bool:
        if self.remaining <= 0:
            return False
        if self.endpoint is None:
            wanted = top_level and endpoint != "oauth.token"
        else:
            wanted = self.endpoint == endpoint
        return wanted and (self.user is None or self.user == user)

    def error(self) -> GoogleError:
        headers = (("Retry-After", self.retry_after),) if self.retry_after else ()
        if self.status == 403:
            reason = self.reason or "userRateLimitExceeded"
            return GoogleError(403, reason, _RATE_403[reason], domain="usageLimits",
                               status=None, headers=headers)
        assert self.status is not None
        reason, message, domain, status = _FAULTS[self.status]
        return GoogleError(self.status, self.reason or reason, message, domain=domain,
                           status=status, headers=headers)


@dataclass(frozen=True)
class Call:
    """One API call as the server saw it.

    ``endpoint`` as in :class:`Fault`; ``status`` 0 means the connection was dropped;
    ``batch`` is the index (in ``FakeGoogle.batches``) of the batch HTTP request that
    carried this call, None for a call made on its own.
    """

    endpoint: str
    user: str | None
    status: int
    batch: int | None = None


@dataclass(frozen=True)
class ApiCall:
    """One API request after routing and authentication, as handlers see it."""

    endpoint: str
    args: dict[str, str]  # path parameters, URL-decoded
    query: dict[str, list[str]]
    user: str | None
    scopes: frozenset[str]

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def params(self, name: str) -> list[str]:
        return list(self.query.get(name, []))

    def flag(self, name: str) -> bool:
        return (self.param(name) or "false").lower() == "true"

    def number(self, name: str, default: int, maximum: int) -> int:
        """An integer parameter, clamped to 1..maximum as Google does."""
        text = self.param(name)
        if text is None:
            return default
        try:
            return max(1, min(int(text), maximum))
        except ValueError as error:
            raise GoogleError(400, "invalidParameter", f"Invalid value '{text}' for {name}",
                              location=("parameter", name)) from error


def encode_token(state: object) -> str:
    """An opaque page or sync token carrying ``state`` (JSON)."""
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def decode_token(token: str, name: str = "pageToken") -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError as error:
        raise GoogleError(400, "invalid", f"Invalid {name}",
                          location=("parameter", name)) from error
