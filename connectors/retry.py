"""The retry policy every remote connector shares (Google, Microsoft).

A failure worth another attempt (a rate limit, a 5xx, a dropped connection) is a
:class:`Retryable`, with the server's ``Retry-After`` when it sent one. The call is
tried :data:`ATTEMPTS` times in all, waiting that ``Retry-After`` or else backing off
exponentially with jitter; then it is :class:`~syncd.errors.Transient`, so the run
fails with its cursor unchanged and the next schedule tries again. A ``Retry-After``
longer than :data:`MAX_WAIT` is not slept through: the translation of the answer
raises Transient at once with that figure instead. A process that is stopping (the
daemon after SIGTERM, :func:`interrupted_by`) does not sit out a wait either: the
call gives up at once as Transient, so a server's Retry-After never holds up its exit.
"""

from __future__ import annotations

import contextlib
import email.utils
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from syncd.errors import Transient

ATTEMPTS = 4
MAX_WAIT = 30.0
T = TypeVar("T")
_stopping = threading.Event()
"""Set when the process stops (:func:`interrupted_by`); this one never is."""


def _pause(seconds: float) -> None:
    if _stopping.wait(seconds):
        raise Transient("stopped while waiting to try again")


sleep: Callable[[float], None] = _pause  # tests may swap it for a fake clock


@contextlib.contextmanager
def interrupted_by(stopping: threading.Event) -> Iterator[None]:
    """While the block runs, waits between attempts end as soon as ``stopping`` is set
    (then the call raises Transient)."""
    global _stopping  # noqa: PLW0603  (one daemon per process decides when it stops)
    previous, _stopping = _stopping, stopping
    try:
        yield
    finally:
        _stopping = previous


class Retryable(Exception):
    """Worth another attempt after ``retry_after`` seconds (None: back off)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def with_retries(what: str, call: Callable[[], T]) -> T:
    """``call()``, retried while it raises :class:`Retryable`; then :class:`Transient`."""
    retrying = Retrying(retry=retry_if_exception_type(Retryable),
                        stop=stop_after_attempt(ATTEMPTS), wait=_wait,
                        sleep=_sleep, reraise=True)
    try:
        return retrying(call)
    except Retryable as exc:
        raise Transient(f"{what}: {exc} (gave up after {ATTEMPTS} attempts)",
                        exc.retry_after) from exc


def _sleep(seconds: float) -> None:
    sleep(seconds)  # looked up at each call, so a test can replace ``sleep``


_backoff = wait_exponential_jitter(initial=1, max=MAX_WAIT)


def _wait(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, Retryable) and error.retry_after is not None:
        return error.retry_after
    return float(_backoff(state))


def retry_after(headers: Any) -> float | None:
    """``Retry-After`` in seconds: a number, or an HTTP date (RFC 9110 §10.2.3)."""
    value = headers.get("retry-after") if hasattr(headers, "get") else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
