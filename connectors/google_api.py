"""Google API errors translated into :mod:`syncd.errors` (the retry is
:mod:`connectors.retry`, shared with Microsoft).

What each failure means (Google's error model:
https://developers.google.com/workspace/gmail/api/guides/handle-errors):

- 429, 403 ``rateLimitExceeded``/``userRateLimitExceeded``, 5xx, a dropped
  connection, a token endpoint that failed transiently: retried here, waiting the
  ``Retry-After`` Google sent (googleapiclient ignores it) or else exponential
  backoff with jitter, ``connectors.retry.ATTEMPTS`` times in all; then :class:`Transient`, so
  the run fails with its cursor unchanged and the next schedule tries again. A
  ``Retry-After`` longer than :data:`MAX_WAIT` is not slept through: the run ends
  at once with that figure.
- ``invalid_grant`` (revoked key, unknown or suspended subject, scope no longer
  delegated), 401 after the library's own refresh, and 403
  ``insufficientPermissions``: :class:`AuthRequired`. The last is a grant that
  lacks the scope the capture policy needs (``gmail.readonly``, or
  ``gmail.metadata`` when no text is kept) - fixed by signing in again or by the
  admin delegating the scope, never by retrying - so it belongs with the other
  credential problems and shows as ``needs_auth`` rather than as a failure
  repeated every schedule.
- Anything else (400 ``failedPrecondition`` for a subject without Gmail, 403
  "Delegation denied", 404 where an id cannot vanish): :class:`SourceUnusable`.
"""

from __future__ import annotations

from typing import Any

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from connectors.retry import MAX_WAIT, Retryable, retry_after
from syncd.errors import AuthRequired, CursorExpired, SourceUnusable, Transient

RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
AUTH_REASONS = frozenset({"insufficientPermissions", "authError"})


def execute(request: Any, what: str, expired_on: frozenset[int] = frozenset()) -> Any:
    """One API request (or batch), its failure translated; an answer whose status is
    in ``expired_on`` means the cursor it came from is too old."""
    try:
        return request.execute()
    except HttpError as exc:
        if exc.status_code in expired_on:
            raise CursorExpired(f"{what}: HTTP {exc.status_code} {exc.reason}") from exc
        raise translate(exc, what) from exc
    except (RefreshError, TransportError, httplib2.HttpLib2Error, OSError) as exc:
        raise translate_transport(exc, what) from exc


def translate(error: HttpError, what: str) -> Exception:
    """The exception an API error answer stands for."""
    status, reason = error.status_code, _reason(error)
    message = f"{what}: HTTP {status} {reason or ''} {error.reason}".strip()
    if status == 429 or status >= 500 or (status == 403 and reason in RATE_REASONS):
        wait = retry_after(error.resp)
        if wait is not None and wait > MAX_WAIT:
            return Transient(message, wait)
        return Retryable(message, wait)
    if status == 401 or (status == 403 and reason in AUTH_REASONS):
        return AuthRequired(message)
    return SourceUnusable(message)


def translate_transport(error: Exception, what: str) -> Exception:
    """A failed token refresh or a broken connection."""
    if isinstance(error, RefreshError) and not error.retryable:
        return AuthRequired(f"{what}: Google refused the credentials: {error}")
    return Retryable(f"{what}: {type(error).__name__}: {error}")


def _reason(error: HttpError) -> str | None:
    details = error.error_details
    if isinstance(details, list) and details and isinstance(details[0], dict):
        reason = details[0].get("reason")
        return str(reason) if reason else None
    return None
