"""A per-user quota limiter: a token bucket measured in the API's quota units.

Google meters each user in *units* per minute, not in requests (Gmail: 15,000
units/user/min; ``messages.get`` costs 5, also inside a batch, ``history.list`` 2,
``getProfile`` 1: https://developers.google.com/workspace/gmail/api/reference/quota).
Microsoft Graph and Calendar meter similarly, so the limiter knows only units.

Algorithm: the bucket refills continuously at ``per_minute / 60`` units a second up
to ``burst`` units. :meth:`QuotaLimiter.spend` takes the units *before* the request
is sent; when that leaves the bucket short, the caller sleeps until the debt is
repaid. Debt rather than refusal lets one request cost more than the bucket holds
(a 50-part batch is 250 units) and still keeps the long-run rate.

``burst`` defaults to one minute's budget. An older copy of Google's quota page
describes the limit as "250 quota units per user per second, moving average (allows
short bursts)", so a full minute's worth up front is what Google itself tolerates,
and a backfill of a few thousand messages never waits at all. The bucket lives as
long as its connector, one run: a run that starts right after another may burst
again, which is why Google's own 429 / ``userRateLimitExceeded`` answers are still
retried with backoff (:mod:`connectors.google_api`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

clock: Callable[[], float] = time.monotonic  # tests may swap both for a fake clock
sleep: Callable[[float], None] = time.sleep


class QuotaLimiter:
    """Units spent against ``per_minute``, with up to ``burst`` spent at once."""

    def __init__(self, per_minute: float, burst: float | None = None) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.rate = per_minute / 60.0
        self.burst = per_minute if burst is None else burst
        self.spent = 0
        self.waited = 0.0
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def spend(self, units: int) -> None:
        """Take ``units``; sleep first when the bucket cannot cover them. Threads
        spending together take turns, the one in debt sleeping while it holds its turn."""
        with self._lock:
            self._refill()
            self._tokens -= units
            self.spent += units
            if self._tokens < 0:
                wait = -self._tokens / self.rate
                self.waited += wait
                sleep(wait)

    def _refill(self) -> None:
        now = clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
