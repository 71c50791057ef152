"""``syncd run``: every source on its own schedule until the process is told to stop.

One APScheduler (3.x) interval job per source, at its ``every`` plus jitter, never
two runs of one source at once (``max_instances``), missed runs coalesced into one.
Across processes the lease (:mod:`syncd.leases`) keeps a source to one syncer.

Signals, handled on the main thread, which otherwise only waits:

- SIGTERM / SIGINT: every run stops after the batch it is writing (its cursor is
  committed, its lease released), then the process exits;
- SIGHUP: the configuration file is read again; a file that does not validate is
  refused and logged, and the old configuration keeps running. A new database URL
  needs a restart.

A source that keeps failing is not retried on every tick: after ``n`` failed runs in
a row it waits ``every * 2**(n-1)``, at most :data:`BACKOFF_CAP` (:func:`backoff`,
which ``syncd status`` shows too). A source that needs a sign-in waits until
``syncd auth`` stores a new one, or the configuration is reloaded; other sources
carry on either way.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import select

from connectors import retry
from syncd.app import App
from syncd.configfile import load_config
from syncd.db.models import Credential, Source
from syncd.db.session import session_scope
from syncd.errors import ConfigError
from syncd.runner import run_source
from syncd.store.read import failures_in_a_row

log = logging.getLogger(__name__)
BACKOFF_CAP = timedelta(hours=6)
WAKE_SECONDS = 0.5
RETENTION_JOB = ":retention"
RETENTION_DELAY = timedelta(minutes=1)
ENRICH_JOB = ":enrichment"
ENRICH_DELAY = timedelta(minutes=2)


def backoff(every: timedelta, failures: int) -> timedelta:
    """How long a source waits after ``failures`` failed runs in a row."""
    if failures <= 0:
        return timedelta(0)
    return min(every * (1 << min(failures - 1, 20)), max(BACKOFF_CAP, every))


@dataclass
class Daemon:
    """The scheduler, the configuration it runs, and the stop and reload flags."""

    config_path: Path
    app: App
    stopping: threading.Event = field(default_factory=threading.Event)
    reload_asked: threading.Event = field(default_factory=threading.Event)
    fresh: set[str] = field(default_factory=set)
    """Sources to try at their next tick whatever their backoff (after a reload)."""
    scheduler: Any = None

    def run(self) -> None:
        """Until SIGTERM or SIGINT; returns once every running sync has stopped."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        # a thread per source, so that no source waits for another's run to end
        pool = ThreadPoolExecutor(max_workers=max(10, len(self.app.config.sources)))
        self.scheduler = BackgroundScheduler(timezone=UTC, executors={"default": pool})
        self.install_signals()
        self._schedule()
        with retry.interrupted_by(self.stopping):  # no Retry-After outlasts a SIGTERM
            self.scheduler.start()
            server = self._serve_metrics()
            log.info("syncd running %d source(s)", len(self.app.config.sources))
            while not self.stopping.wait(WAKE_SECONDS):
                if self.reload_asked.is_set():
                    self.reload_asked.clear()
                    self.reload()
            log.info("stopping: each running sync ends after its current batch")
            self.scheduler.shutdown(wait=True)
        if server is not None:
            server.shutdown()
            server.server_close()
        log.info("stopped")

    def _serve_metrics(self) -> Any:
        """/metrics and /health, when ``metrics.listen`` asks for them; they follow a
        reloaded configuration."""
        listen = self.app.config.metrics.listen
        if listen is None:
            return None
        from syncd.metrics import application, serve, status_reader

        app = application(status_reader(self.app.sessions),  # the engine outlives reloads
                          lambda: self.app.config.sources)
        log.info("serving /metrics and /health on %s", listen)
        return serve(listen, app)

    def install_signals(self) -> None:
        """Stop and reload by signal; installed before anything slow, so an early
        SIGHUP cannot kill the process (its default action)."""
        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.stopping.set()

        def reload(_signum: int, _frame: FrameType | None) -> None:
            self.reload_asked.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, reload)

    def _schedule(self) -> None:
        """One job per configured source; jobs of sources no longer configured go."""
        wanted = {source.name: source for source in self.app.config.sources}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted and job.id not in (RETENTION_JOB, ENRICH_JOB):
                job.remove()
        for name, source in wanted.items():
            seconds = max(int(source.every.total_seconds()), 1)
            self.scheduler.add_job(
                self.tick, "interval", args=[name], id=name, replace_existing=True,
                seconds=seconds, jitter=max(1, seconds // 10), max_instances=1,
                coalesce=True, misfire_grace_time=None, next_run_time=datetime.now(UTC))
        self._schedule_retention()
        self._schedule_enrichment()

    def _schedule_retention(self) -> None:
        """``retention.content`` applied every ``retention.every``, first a minute after
        the start (sooner if ``every`` is shorter); ``:`` cannot begin a source name, so
        the job id is free."""
        retention = self.app.config.retention
        if self.scheduler.get_job(RETENTION_JOB) is not None:
            self.scheduler.remove_job(RETENTION_JOB)
        if retention.content is None:
            return
        self.scheduler.add_job(
            self._retain, "interval", id=RETENTION_JOB, max_instances=1, coalesce=True,
            seconds=max(int(retention.every.total_seconds()), 1), misfire_grace_time=None,
            next_run_time=datetime.now(UTC) + min(RETENTION_DELAY, retention.every))

    def _retain(self) -> None:
        from syncd.retention import apply_policy

        try:
            apply_policy(self.app)
        except Exception:  # a failed pass is retried at the next one; syncing goes on
            log.exception("retention could not be applied")

    def _schedule_enrichment(self) -> None:
        """The enrichment pass every ``enrichment.every``, the first two minutes after
        the start (sooner if ``every`` is shorter), when the first syncs have captured
        what there is to enrich; a job of its own, so capture never waits for it."""
        every = self.app.config.enrichment.every
        self.scheduler.add_job(
            self._enrich, "interval", id=ENRICH_JOB, max_instances=1, coalesce=True,
            replace_existing=True, seconds=max(int(every.total_seconds()), 1),
            misfire_grace_time=None, next_run_time=datetime.now(UTC) + min(ENRICH_DELAY, every))

    def _enrich(self) -> None:
        from syncd.enrich import enrich

        try:
            stats = enrich(self.app, stop=self.stopping)
        except Exception:  # a failed pass is tried again at the next one
            log.exception("the enrichment pass failed")
            return
        if stats.busy:
            log.info("enrichment: %s is enriching; this process leaves the pass to it",
                     stats.busy)
            return
        log.info("enrichment: %d facts stored for %d accounts and contacts",
                 stats.facts, stats.targets)

    def reload(self) -> None:
        """Read the configuration again; keep the old one if the new one is bad."""
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            log.error("the new configuration in %s is refused; the old one keeps "
                      "running: %s", self.config_path, "; ".join(exc.problems))
            return
        if config.database.url != self.app.config.database.url:
            log.error("the new configuration changes database.url; that needs a restart, "
                      "so the old configuration keeps running")
            return
        fresh = App(config)
        fresh.__dict__["engine"] = self.app.engine  # same database: share the pool
        self.app.kept.close()  # connections made for the old settings (and runs under
        self.app = fresh  # way close theirs when they end); the next runs sign in again
        self.fresh = {source.name for source in config.sources}
        self._schedule()
        log.info("configuration reloaded: %d source(s)", len(config.sources))

    def tick(self, name: str) -> None:
        """One scheduled run of ``name``, unless it is backing off or needs a sign-in."""
        app = self.app
        try:
            source = app.config.source(name)
        except KeyError:
            return  # removed by a reload after this run was queued
        if self.stopping.is_set():
            return
        if name in self.fresh:
            self.fresh.discard(name)
        else:
            held = self._held(app, name, source.every)
            if held:
                log.debug("%s waits: %s", name, held)
                return
        run_source(app, source, stop=self.stopping)

    def _held(self, app: App, name: str, every: timedelta) -> str | None:
        """Why ``name`` should not run now, if it should not."""
        now = datetime.now(UTC)
        with session_scope(app.sessions) as session:
            row = session.execute(select(Source).where(Source.name == name)).scalar()
            if row is None:
                return None
            if row.last_success_at is not None and now - row.last_success_at < every / 2:
                return "another syncd process synced it moments ago"
            if row.last_error_at is None:
                return None
            if row.state == "needs_auth":
                signed = session.execute(select(Credential.updated_at)
                                         .where(Credential.source == name)).scalar()
                if signed is None or signed <= row.last_error_at:
                    return f"needs a sign-in (syncd auth {name}) or a configuration reload"
                return None
            failures = failures_in_a_row(session, row.id) if row.state == "failed" else 0
        wait = backoff(every, failures)
        if failures > 1 and now < row.last_error_at + wait:
            return f"{failures} failed runs in a row; next try after {wait}"
        return None
