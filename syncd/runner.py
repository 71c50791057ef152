"""Syncing one source: lease, cursor, batches, and what to do about each error.

The CLI's ``resync`` and the daemon's scheduled jobs both call :func:`run_source`.
Each batch is planned (pure), then written together with the cursor that follows
it in one transaction, so a crash loses nothing and repeats at most one batch.
An item the pipeline cannot handle goes to quarantine with the reason; it never
stops the batch, and it is never dropped silently.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors.base import BadItem, Batch, Connector, Deletion, RawEvent, RawMessage
from connectors.registry import connector_class
from syncd import item_json
from syncd.app import App
from syncd.config import SourceCommon
from syncd.db.models import Source, SyncRun
from syncd.db.session import session_scope
from syncd.errors import AuthRequired, CursorExpired, SourceError
from syncd.forgetting import without_forgotten
from syncd.kept import MAX_IDLE
from syncd.leases import (
    LeaseLost,
    extend_lease,
    heartbeat,
    lease_holder,
    release_lease,
    source_lease,
    take_lease_in,
)
from syncd.meetings import plan_event
from syncd.pipeline import Context, InteractionPlan, plan_message, shows_text
from syncd.prefetch import can_fork, produce_in_child
from syncd.retention import within
from syncd.store.credentials import save_token, stored_secret
from syncd.store.forget import told_what_is_forgotten
from syncd.store.upsert import insert_ignore
from syncd.store.write import BatchStats, write_batch

log = logging.getLogger(__name__)
Progress = Callable[[int, int | None], None]


@dataclass
class RunResult:
    source: str
    status: str
    stats: BatchStats = field(default_factory=BatchStats)
    error: str | None = None
    full: bool = False


@dataclass
class _Job:
    """One run of one source: what it needs, and the result it builds up."""

    app: App
    source: SourceCommon
    source_id: int
    result: RunResult
    since: datetime | None
    progress: Progress | None
    stop: threading.Event | None


class _Stopped(Exception):
    """The process is shutting down; the batch before this point is committed."""


def run_source(app: App, source: SourceCommon, *, full: bool = False,
               since: datetime | None = None, progress: Progress | None = None,
               stop: threading.Event | None = None) -> RunResult:
    """Sync ``source`` once; never raises for the source's own failures.

    ``stop`` set (the daemon is shutting down) ends the run after the batch being
    written: its cursor is committed, so the next run goes on from there."""
    source_id, run_id = _begin(app, source, full)
    lease, held = app.config.database.lease, source_lease(source_id)
    if run_id is None:
        return RunResult(source.name, "busy", error="another syncd process is syncing it "
                         f"({lease_holder(app.sessions, held) or 'its lease just ended'})")
    job = _Job(app, source, source_id, RunResult(source.name, "ok", full=full), since,
               progress, stop)
    try:
        with heartbeat(app.sessions, held, lease):
            _sync(job)
    except LeaseLost as exc:
        job.result.status, job.result.error = "lost", str(exc)
    except _Stopped:
        job.result.status = "interrupted"
        job.result.error = "stopped before the end; the next run goes on from here"
    except AuthRequired as exc:
        job.result.status, job.result.error = "needs_auth", str(exc)
    except SourceError as exc:  # stopping ends a wait for a retry this way
        stopped = stop is not None and stop.is_set()
        job.result.status, job.result.error = "interrupted" if stopped else "failed", str(exc)
    except Exception as exc:
        log.exception("source %s failed", source.name)
        job.result.status, job.result.error = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        _finish(app, source_id, run_id, job.result)
    stats = job.result.stats
    log.info("%s: %s%s; %d messages, %d new interactions, %d skipped, %d quarantined, "
             "%d new contacts, %d new accounts, %d merged", source.name, job.result.status,
             f" ({job.result.error})" if job.result.error else "", stats.messages,
             stats.new_interactions, stats.skipped, stats.quarantined, stats.new_contacts,
             stats.new_accounts, stats.merged)
    return job.result


def _sync(job: _Job) -> None:
    cls = connector_class(job.source.kind)
    token = stored_token(job.app, job.source.name) if cls.needs_token(job.source) else None
    context = _with_forgotten(job.app, job.app.context(job.source))
    made_for = (cls, job.source, token, shows_text(context.policy))
    connector = job.app.kept.take(job.source.name, made_for) or \
        cls(job.source.name, job.source, token, bodies=made_for[-1])
    try:
        try:
            _pull(job, connector, context)
        except CursorExpired as exc:
            log.warning("%s: %s; syncing the whole source again", job.source.name, exc)
            job.result.full = True
            _pull(job, connector, context)
    except BaseException:
        connector.close()
        raise
    else:
        _keep_or_close(job, made_for, connector)
    finally:
        keep_refreshed_token(job.app, job.source.name, token, connector.token)


def _keep_or_close(job: _Job, made_for: tuple[Any, ...], connector: Connector) -> None:
    """After a run that went well the connector waits for the next run, if that comes
    before a server may log an idle connection out."""
    if job.source.every < MAX_IDLE:
        job.app.kept.give_back(job.source.name, made_for, connector)
    else:
        connector.close()


def keep_refreshed_token(app: App, source_name: str, before: str | None,
                         after: str | None) -> None:
    """Keep what the connector refreshed (a new access token, a rotated refresh
    token), so the next run need not refresh again."""
    if after is not None and after != before:
        with session_scope(app.sessions) as session:
            save_token(session, app.cipher, source_name, after)


def _with_forgotten(app: App, context: Context) -> Context:
    """The context, told which addresses ``syncd forget`` erased."""
    with session_scope(app.sessions) as session:
        return told_what_is_forgotten(session, context)


def stored_token(app: App, source_name: str) -> str | None:
    """The source's stored sign-in, decrypted (the key is read only when one exists)."""
    with session_scope(app.sessions) as session:
        secret = stored_secret(session, source_name)
    return None if secret is None else app.cipher.decrypt(secret)


def _pull(job: _Job, connector: Connector, context: Context) -> None:
    cursor = None if job.result.full else _cursor(job.app, job.source_id)
    split = connector.forkable(backfill=cursor is None) and can_fork()
    if split:
        connector.prepare()
    since = job.since
    if since is None and cursor is None and job.source.backfill is not None:
        since = _now() - job.source.backfill  # a first or full sync reaches this far back

    def produce(waiting: Callable[[], int] = lambda: 1) -> Iterator[PlannedBatch | Batch]:
        """In a child process a batch is left for the parent to plan whenever the
        parent has nothing else waiting: reading, planning and writing cost different
        shares for each kind of source (an IMAP fetch weighs more than a file read),
        and this keeps both cores busy whatever they are."""
        try:
            for batch in connector.pull(cursor, full=job.result.full, since=since):
                yield batch if split and waiting() == 0 else plan_batch(batch, context)
        finally:
            if split:  # the child's connection ends with it; this process keeps its own
                connector.close()

    for item in produce_in_child(produce) if split else produce():
        batch = item if isinstance(item, PlannedBatch) else plan_batch(item, context)
        with session_scope(job.app.sessions) as session:
            stats = write_batch(session, job.source_id, batch.plans, bad=batch.bad,
                                deletions=batch.deletions, cursor=batch.cursor, now=_now(),
                                rules=job.app.identity)
            extend_lease(session, source_lease(job.source_id), job.app.config.database.lease)
        job.result.stats.add(stats)
        if job.progress:
            job.progress(job.result.stats.messages, batch.total)
        if job.stop is not None and job.stop.is_set():
            raise _Stopped


@dataclass(frozen=True)
class PlannedBatch:
    """A connector's batch after the pipeline: what to write, then the cursor."""

    plans: list[InteractionPlan]
    bad: list[BadItem]
    deletions: list[Deletion]
    cursor: Any
    total: int | None


def plan_batch(batch: Batch, context: Context) -> PlannedBatch:
    """Plans for the messages and meetings; anything that cannot be planned becomes a
    BadItem."""
    plans: list[InteractionPlan] = []
    bad: list[BadItem] = []
    deletions: list[Deletion] = []
    for item in batch.items:
        if isinstance(item, RawMessage | RawEvent):
            try:
                plan = plan_message(item, context) if isinstance(item, RawMessage) \
                    else plan_event(item, context)
                plans.append(within(without_forgotten(plan, context), context.content_cutoff))
            except Exception as exc:  # one item must never stop the batch
                bad.append(kept_as_allowed(BadItem(item.external_id, _pipeline_failure(exc),
                                                   item_json.dumps(item), "item"), context))
        elif isinstance(item, BadItem):
            bad.append(kept_as_allowed(item, context))
        else:
            deletions.append(item)
    return PlannedBatch(plans, bad, deletions, batch.next_cursor, batch.total)


def kept_as_allowed(item: BadItem, context: Context) -> BadItem:
    """A quarantined item keeps its raw form only where the capture policy keeps text:
    a ``metadata`` or ``subject`` source keeps the reason alone (a full resync reads
    the item again once syncd can)."""
    if shows_text(context.policy) or not item.raw:
        return item
    return replace(item, raw=b"", reason=f"{item.reason} (not kept: the capture policy "
                   "keeps no text; `syncd resync --full` reads it again)")


def _pipeline_failure(exc: Exception) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return (f"the pipeline failed on this item: {type(exc).__name__}: {exc} "
            f"(at {where.filename}:{where.lineno})")


def _now() -> datetime:
    return datetime.now(UTC)


def ensure_source(app: App, source: SourceCommon) -> int:
    """The source's row id, creating the row on first use."""
    with session_scope(app.sessions) as session:
        return _source_row(session, source)


def _source_row(session: Session, source: SourceCommon) -> int:
    insert_ignore(session, Source, [{"name": source.name, "kind": source.kind,
                                               "state": "new", "items_total": 0}],
                  ["name"])
    source_id: int = session.execute(
        select(Source.id).where(Source.name == source.name)).scalar_one()
    session.execute(update(Source).where(Source.id == source_id).values(kind=source.kind))
    return source_id


def _begin(app: App, source: SourceCommon, full: bool) -> tuple[int, int | None]:
    """The source's row id and, if its lease was taken, the new run's id: one
    transaction, since a run that finds nothing should cost the database little."""
    with session_scope(app.sessions) as session:
        source_id = _source_row(session, source)
        if not take_lease_in(session, source_lease(source_id), app.config.database.lease):
            return source_id, None
        return source_id, _start_run(session, source_id, full)


def _cursor(app: App, source_id: int) -> Any:
    with session_scope(app.sessions) as session:
        stored = session.execute(select(Source.cursor).where(Source.id == source_id)).scalar()
    return stored.get("v") if isinstance(stored, dict) else None


def _start_run(session: Session, source_id: int, full: bool) -> int:
    run = SyncRun(source_id=source_id, full=full, started_at=_now(), status="running",
                  stats={})
    session.add(run)
    session.flush()
    session.execute(update(Source).where(Source.id == source_id).values(state="running"))
    return run.id


def _finish(app: App, source_id: int, run_id: int, result: RunResult) -> None:
    now = _now()
    stats = vars(result.stats)
    with session_scope(app.sessions) as session:
        session.execute(update(SyncRun).where(SyncRun.id == run_id).values(
            finished_at=now, status=result.status, stats=stats, error=result.error,
            full=result.full))
        if not release_lease(session, source_lease(source_id)):
            return  # taken over: the source's state is its new holder's to say
        values: dict[str, Any] = {"state": result.status}
        if result.status == "ok":
            values |= {"last_success_at": now, "last_error": None}
        else:
            values |= {"last_error": result.error, "last_error_at": now}
        session.execute(update(Source).where(Source.id == source_id).values(**values))
