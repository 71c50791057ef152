"""Figures ``bench/daemon.py`` reads from the CRM database and the scheduler's events.

Definitions (printed with the figures):

* **run**: one ``sync_runs`` row, from ``started_at`` (the lease is held, the row
  written) to ``finished_at`` (the result written; the lease is released in the same
  transaction). Between the two the connector reads and the pipeline plans and
  writes: that is the run's own work.
* **scheduler overhead** of a run: the daemon's time around it, from the job's fire
  time (APScheduler's jittered ``scheduled_run_time``) to ``started_at`` (the
  scheduler waking, the thread pool's queue, the backoff check, the source row and
  the lease), plus from ``finished_at`` to the job function's return (the run's log
  line and the job's end). A job is paired with the run of its source that lies
  inside it.
* **lag** of a delivered message: from the moment the fake server had it to
  ``interactions.created_at``, the time of the batch that wrote it.
* **overlap**: two runs of one source whose intervals intersect (a run still open
  when the daemons stopped counts as open until then).
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine

from syncd.db.models import Interaction, InteractionSource, Source, SyncRun


@dataclass(frozen=True)
class Run:
    source: str
    started: float
    finished: float | None
    status: str
    messages: int
    error: str | None


@dataclass(frozen=True)
class Job:
    """One job of the scheduler that ran to its end."""

    source: str
    fired: float  # the due time
    submitted: float
    returned: float


def engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True)


def runs(db: Engine) -> list[Run]:
    query = (select(Source.name, SyncRun.started_at, SyncRun.finished_at, SyncRun.status,
                    SyncRun.stats, SyncRun.error).join(Source, Source.id == SyncRun.source_id)
             .order_by(Source.name, SyncRun.started_at))
    with db.connect() as conn:
        return [Run(name, started.timestamp(), finished.timestamp() if finished else None,
                    status, int((stats or {}).get("messages", 0)), error)
                for name, started, finished, status, stats, error in conn.execute(query)]


def captured_at(db: Engine, keys: Iterable[str]) -> dict[str, float]:
    """``interactions.created_at`` of each key that is stored."""
    wanted = list(keys)
    found: dict[str, float] = {}
    with db.connect() as conn:
        for start in range(0, len(wanted), 500):
            query = select(Interaction.key, Interaction.created_at).where(
                Interaction.key.in_(wanted[start:start + 500]))
            found.update((key, created.timestamp()) for key, created in conn.execute(query))
    return found


def stuck(db: Engine, names: Iterable[str]) -> list[str]:
    """What the sources with no finished run are doing: state, lease, open runs."""
    found = []
    with db.connect() as conn:
        for name in names:
            row = conn.execute(select(Source.id, Source.state, Source.lease_owner,
                                      Source.lease_expires_at)
                               .where(Source.name == name)).first()
            if row is None:
                found.append(f"{name}: no source row")
                continue
            runs = conn.execute(select(SyncRun.started_at, SyncRun.finished_at,
                                       SyncRun.status).where(SyncRun.source_id == row.id)
                                ).all()
            if any(run.finished_at is not None for run in runs):
                continue
            found.append(f"{name}: state {row.state}, lease {row.lease_owner} until "
                         f"{row.lease_expires_at}, runs {[tuple(map(str, r)) for r in runs]}")
    return found


def interaction_count(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Interaction)).scalar() or 0)


def duplicates(db: Engine) -> tuple[int, int]:
    """(interactions sharing a key, links of one source to one item twice)."""
    with db.connect() as conn:
        keys = conn.execute(select(func.count(), func.count(func.distinct(Interaction.key)))
                            .select_from(Interaction)).one()
        links = conn.execute(select(InteractionSource.source_id, InteractionSource.external_id)
                             .group_by(InteractionSource.source_id,
                                       InteractionSource.external_id)
                             .having(func.count() > 1)).all()
    return int(keys[0] - keys[1]), len(links)


def overlaps(found: Sequence[Run], stopped: float) -> list[str]:
    """Each pair of runs of one source that were under way at once."""
    by_source: dict[str, list[Run]] = defaultdict(list)
    for run in found:
        by_source[run.source].append(run)
    clashes = []
    for name, spans in by_source.items():
        spans.sort(key=lambda run: run.started)
        for first, second in itertools.pairwise(spans):
            end = first.finished if first.finished is not None else stopped
            if end > second.started:
                clashes.append(f"{name}: a run from {first.started:.3f} to {end:.3f} and "
                               f"one from {second.started:.3f}")
    return clashes


def jobs(path: Path) -> list[Job]:
    """The jobs that ran to their end, from ``bench/scheduler_probe.py``'s events."""
    submitted: dict[tuple[str, float], float] = {}
    done = []
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        for due in event["scheduled"]:
            if event["event"] == "submitted":
                submitted[(event["job"], due)] = event["at"]
            elif event["event"] in {"executed", "error"}:
                at = submitted.get((event["job"], due))
                if at is not None:
                    done.append(Job(event["job"], due, at, event["at"]))
    return done


@dataclass(frozen=True)
class Paired:
    """A job and the run inside it, in seconds."""

    fired: float  # when the job was due
    late: float  # due -> handed to the thread pool (the scheduler thread waking)
    queued: float  # handed to the pool -> run start (the pool's queue, backoff check,
    # source row, lease, run row)
    after: float  # run end -> the job function returned
    work: float  # the run's own time

    @property
    def overhead(self) -> float:
        return self.late + self.queued + self.after


def pair(found: Sequence[Run], done: Sequence[Job], slack: float = 0.005
         ) -> tuple[list[Paired], int]:
    """Each job with the run of its source inside it (``slack`` seconds of timestamp
    rounding allowed), and how many jobs had none (held back, or the lease busy)."""
    by_source: dict[str, list[Run]] = defaultdict(list)
    for run in found:
        if run.finished is not None:
            by_source[run.source].append(run)
    paired, unpaired = [], 0
    for job in done:
        inside = [run for run in by_source[job.source]
                  if run.started >= job.fired - slack and run.finished is not None
                  and run.finished <= job.returned + slack]
        if not inside:
            unpaired += 1
            continue
        run = inside[-1]
        assert run.finished is not None
        paired.append(Paired(job.fired, max(0.0, job.submitted - job.fired),
                             max(0.0, run.started - job.submitted),
                             max(0.0, job.returned - run.finished), run.finished - run.started))
    return paired, unpaired


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` 0.95 for p95); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def spread(values: Sequence[float], scale: float = 1.0, digits: int = 0) -> str:
    """``p50 X / p95 Y / max Z`` of ``values`` times ``scale``."""
    if not values:
        return "none"
    parts = [percentile(values, 0.5), percentile(values, 0.95), max(values)]
    return " / ".join(f"{name} {value * scale:,.{digits}f}"
                      for name, value in zip(("p50", "p95", "max"), parts, strict=True))
