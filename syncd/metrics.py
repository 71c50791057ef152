"""``/metrics`` (Prometheus) and ``/health`` for the daemon, read from the database.

Every figure is read from the database when it is asked for, not counted in the
process, so each of several daemons sharing one PostgreSQL database answers for all
sources alike, and a restart loses no counter.

``/health`` answers 200 when every configured source is healthy and 503 otherwise,
with a JSON body naming each problem. A source is unhealthy when it needs a sign-in,
when its last successful sync is older than three of its intervals (and at least
:data:`STALE_FLOOR`), or when its newest captured item is older than its
``lag_alert``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from syncd.config import SourceCommon
from syncd.db.session import session_scope
from syncd.store import read

STALE_FLOOR = timedelta(minutes=15)
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _SourcesCollector(Collector):
    def __init__(self, rows: Callable[[], list[dict[str, Any]]]) -> None:
        self.rows = rows

    def collect(self) -> Iterator[Any]:
        now = datetime.now(UTC)
        up = GaugeMetricFamily("syncd_source_up", "1 when the source's last run did not "
                               "fail and it needs no sign-in", labels=["source", "kind"])
        lag = GaugeMetricFamily("syncd_source_lag_seconds", "seconds since the newest "
                                "captured item", labels=["source"])
        success = GaugeMetricFamily("syncd_source_last_success_timestamp_seconds",
                                    "when the last sync succeeded", labels=["source"])
        failures = GaugeMetricFamily("syncd_source_failures_in_a_row",
                                     "failed runs since the last success", labels=["source"])
        quarantined = GaugeMetricFamily("syncd_source_quarantined",
                                        "items in quarantine", labels=["source"])
        items = CounterMetricFamily("syncd_source_items", "items captured from the source",
                                    labels=["source"])
        for row in self.rows():
            name = row["name"]
            up.add_metric([name, row["kind"]],
                          0.0 if row["state"] in {"failed", "needs_auth"} else 1.0)
            if row["newest_item_at"] is not None:
                lag.add_metric([name], (now - row["newest_item_at"]).total_seconds())
            if row["last_success_at"] is not None:
                success.add_metric([name], row["last_success_at"].timestamp())
            failures.add_metric([name], row["failures"])
            quarantined.add_metric([name], row["quarantined"])
            items.add_metric([name], row["items_total"])
        yield from (up, lag, success, failures, quarantined, items)


def problems(rows: list[dict[str, Any]], sources: Iterable[SourceCommon],
             now: datetime) -> dict[str, str]:
    """Each configured source that is not healthy, with why."""
    by_name = {row["name"]: row for row in rows}
    found: dict[str, str] = {}
    for source in sources:
        row = by_name.get(source.name)
        stale = max(source.every * 3, STALE_FLOOR)
        if row is None or row["last_success_at"] is None:
            if row is not None and row["state"] == "needs_auth":
                found[source.name] = "needs a sign-in"
            elif row is not None and row["last_error_at"] is not None:
                found[source.name] = f"never synced: {row['last_error']}"
            continue  # not tried yet: a new source is not a problem
        if row["state"] == "needs_auth":
            found[source.name] = "needs a sign-in"
        elif now - row["last_success_at"] > stale:
            found[source.name] = f"no successful sync for {now - row['last_success_at']}"
        elif source.lag_alert is not None and row["newest_item_at"] is not None and \
                now - row["newest_item_at"] > source.lag_alert:
            found[source.name] = (f"newest item is {now - row['newest_item_at']} old "
                                  f"(lag_alert {source.lag_alert})")
    return found


def application(status_rows: Callable[[], list[dict[str, Any]]],
                sources: Callable[[], Iterable[SourceCommon]]) -> Wsgi:
    """The WSGI app: ``/metrics`` for Prometheus, ``/health`` for probes."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SourcesCollector(status_rows))
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            answer: Iterable[bytes] = metrics(environ, start)
            return answer
        if path == "/health":
            found = problems(status_rows(), sources(), datetime.now(UTC))
            body = json.dumps({"healthy": not found, "problems": found}).encode()
            start("200 OK" if not found else "503 Service Unavailable",
                  [("Content-Type", "application/json")])
            return [body]
        start("404 Not Found", [("Content-Type", "text/plain")])
        return [b"/metrics or /health\n"]
    return app


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds are not news for the log."""


def serve(listen: str, app: Wsgi) -> WSGIServer:
    """Serve ``app`` on ``HOST:PORT`` from a daemon thread; ``shutdown()`` stops it."""
    host, _, port = listen.rpartition(":")
    server = make_server(host, int(port), app, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="syncd-metrics", daemon=True).start()
    return server


def status_reader(sessions: Any) -> Callable[[], list[dict[str, Any]]]:
    def rows() -> list[dict[str, Any]]:
        with session_scope(sessions) as session:
            return read.status(session)
    return rows
