"""Syncing from the command line: ``resync``, ``run``, ``status``, ``quarantine``."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from types import FrameType
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import func, select

from syncd.app import App
from syncd.cli.app import app, console, state
from syncd.cli.render import day, table, when
from syncd.config import SourceCommon
from syncd.db.models import Account, Contact, Interaction, Quarantine
from syncd.db.session import session_scope
from syncd.runner import RunResult, run_source
from syncd.store import read

quarantine_app = typer.Typer(help="Items that could not be captured.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")


def _selected(app_: App, names: list[str] | None) -> list[SourceCommon]:
    if not names:
        return list(app_.config.sources)
    known = {s.name for s in app_.config.sources}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise LookupError(f"no source named {', '.join(unknown)} "
                          f"(configured: {', '.join(sorted(known)) or 'none'})")
    return [app_.config.source(n) for n in names]


@app.command()
def resync(
    sources: Annotated[list[str] | None, typer.Argument(help="source names (default: all)")] = None,
    full: Annotated[bool, typer.Option(help="ignore cursors and read everything again")] = False,
    since: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="only messages dated on or after this day")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Sync sources now, with a progress bar; safe while the daemon runs."""
    app_ = state.open()
    try:
        app_.upgrade()
        results = [_resync_one(app_, s, full, since.replace(tzinfo=UTC) if since else None,
                               quiet) for s in _selected(app_, sources)]
        _summary(app_, results)
    finally:
        app_.close()
    if any(r.status != "ok" for r in results):
        raise typer.Exit(1)


def _resync_one(app_: App, source: SourceCommon, full: bool, since: datetime | None,
                quiet: bool) -> RunResult:
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TaskProgressColumn(), TextColumn("{task.fields[rate]} msg/s"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=quiet, transient=False) as progress:
        task = progress.add_task(source.name, total=None, rate="-")

        def advance(done: int, total: int | None) -> None:
            elapsed = progress.tasks[task].elapsed or 0.0
            rate = f"{done / elapsed:,.0f}" if elapsed else "-"
            progress.update(task, completed=done, total=total, rate=rate)

        return run_source(app_, source, full=full, since=since, progress=advance)


def _summary(app_: App, results: list[RunResult]) -> None:
    summary = table("source", "result", "read", "new mails", "skipped", "quarantined",
                    "new people", "new accounts", title="resync")
    for r in results:
        s = r.stats
        summary.add_row(r.source, r.status + (" (full)" if r.full else ""), str(s.messages),
                        str(s.new_interactions), str(s.skipped), str(s.quarantined),
                        str(s.new_contacts), str(s.new_accounts))
    console.print(summary)
    for r in results:
        if r.error:
            console.print(f"[red]{r.source}: {r.error}[/]", highlight=False)
    with session_scope(app_.sessions) as session:
        counts = {name: session.execute(select(func.count()).select_from(model)).scalar()
                  for name, model in (("interactions", Interaction), ("accounts", Account),
                                      ("quarantined items", Quarantine))}
        people = session.execute(select(Contact.is_internal, func.count())
                                 .group_by(Contact.is_internal)).all()
    by_kind = dict(people)
    console.print(f"The CRM now holds {by_kind.get(False, 0)} contacts, "
                  f"{counts['accounts']} accounts, {counts['interactions']} interactions "
                  f"and {by_kind.get(True, 0)} colleagues; "
                  f"{counts['quarantined items']} items in quarantine.")


@app.command()
def run(
    once: Annotated[bool, typer.Option(help="sync every source once, then exit")] = False,
) -> None:
    """Run the daemon: each source on its own schedule until stopped."""
    app_ = state.open(daemon=True)
    app_.upgrade()
    try:
        if once:
            failed = [r for r in (run_source(app_, s) for s in app_.config.sources)
                      if r.status != "ok"]
            for r in failed:
                console.print(f"[red]{r.source}: {r.status}: {r.error}[/]", highlight=False)
            if failed:
                raise typer.Exit(1)
            return
        _schedule(app_)
    finally:
        app_.close()


def _schedule(app_: App) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=UTC)
    for source in app_.config.sources:
        seconds = max(int(source.every.total_seconds()), 1)
        scheduler.add_job(run_source, "interval", args=[app_, source], id=source.name,
                          seconds=seconds, jitter=max(1, seconds // 10), max_instances=1,
                          coalesce=True, next_run_time=datetime.now(UTC))

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # leave start() on the main thread, then shut down there

    signal.signal(signal.SIGTERM, stop)
    console.print(f"syncd running {len(app_.config.sources)} source(s); Ctrl-C stops it")
    try:
        scheduler.start()
    except KeyboardInterrupt:
        scheduler.shutdown(wait=True)


@app.command()
def status() -> None:
    """Each source's state, last success, items, lag and last error."""
    app_ = state.open()
    try:
        app_.upgrade()
        with session_scope(app_.sessions) as session:
            rows = read.status(session)
    finally:
        app_.close()
    listing = table("source", "kind", "state", "last success", "newest item", "items",
                    "quarantined", "last error", title="sources")
    for row in rows:
        listing.add_row(row["name"], row["kind"], row["state"], when(row["last_success_at"]),
                        when(row["newest_item_at"]), str(row["items_total"]),
                        str(row["quarantined"]), row["last_error"] or "")
    console.print(listing)


@quarantine_app.command("list")
def quarantine_list(limit: Annotated[int, typer.Option(help="how many")] = 50) -> None:
    """The newest quarantined items with their reasons."""
    app_ = state.open()
    try:
        with session_scope(app_.sessions) as session:
            items = read.quarantined(session, limit)
            listing = table("id", "external id", "reason", "since", title="quarantine")
            for item in items:
                listing.add_row(str(item.id), item.external_id, item.reason,
                                day(item.created_at))
    finally:
        app_.close()
    console.print(listing)

