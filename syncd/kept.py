"""Connectors kept open between the runs of their source, one per source at most.

Signing in costs more than a sync of an unchanged mailbox: for IMAP a TCP and TLS
handshake, LOGIN and a new server process against one STATUS per folder. So a run
that ends well gives its connector back here when it holds a connection
(:meth:`~connectors.base.Connector.holds_connection`), and the source's next run
takes it instead of making a new one, if it was made for the same settings and
sign-in and has not waited longer than :data:`MAX_IDLE`.

Taking removes it: a connector is used by one thread at a time, and a second run
of the same source at once (another thread of the process) simply makes its own; the
first given back is kept and the other closed. :meth:`Kept.close` (the
application's end, the daemon's shutdown) closes every one still kept.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from connectors.base import Connector

MAX_IDLE = timedelta(minutes=25)
"""Kept no longer: RFC 3501 (5.4) lets a server log out a client idle for 30 minutes."""


@dataclass(frozen=True)
class _Parked:
    connector: Connector
    made_for: tuple[Any, ...]
    since: float


class Kept:
    """The parked connectors, by source name; safe to use from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parked: dict[str, _Parked] = {}
        self._closed = False

    def take(self, name: str, made_for: tuple[Any, ...]) -> Connector | None:
        """The source's kept connector, if it was made for ``made_for`` (its class,
        settings and sign-in) and is fresh enough; a stale one is closed."""
        with self._lock:
            parked = self._parked.pop(name, None)
        if parked is None:
            return None
        fresh = time.monotonic() - parked.since < MAX_IDLE.total_seconds()
        if fresh and parked.made_for == made_for:
            return parked.connector
        parked.connector.close()
        return None

    def give_back(self, name: str, made_for: tuple[Any, ...], connector: Connector) -> None:
        """Keep ``connector`` for the source's next run, or close it when it holds no
        connection, another is kept already, or the pool is closed."""
        if not connector.holds_connection():
            connector.close()
            return
        with self._lock:
            keep = not self._closed and name not in self._parked
            if keep:
                self._parked[name] = _Parked(connector, made_for, time.monotonic())
        if not keep:
            connector.close()

    def close(self) -> None:
        """Close every kept connector; any given back later is closed at once."""
        with self._lock:
            self._closed = True
            parked, self._parked = list(self._parked.values()), {}
        for each in parked:
            each.connector.close()
