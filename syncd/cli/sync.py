"""Syncing from the command line: ``resync``, ``run``, ``status``, ``quarantine``."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
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
from syncd.cli.app import app, console, errors, state
from syncd.cli.render import day, table, when
from syncd.config import SourceCommon
from syncd.configfile import find_config
from syncd.daemon import Daemon, backoff
from syncd.db.models import Account, Contact, Interaction, Quarantine
from syncd.db.session import session_scope
from syncd.errors import SourceError
from syncd.leases import lease_holder, source_lease
from syncd.runner import RunResult, ensure_source, run_source
from syncd.store import read

LEASE_POLL_SECONDS = 2.0
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
    wait: Annotated[bool, typer.Option(help=(
        "wait while another syncd process syncs a source (--no-wait: report it and "
        "go on)"))] = True,
) -> None:
    """Sync sources now, with a progress bar; safe while the daemon runs."""
    app_ = state.open()
    try:
        app_.upgrade()
        results = [_resync_waiting(app_, s, full, since.replace(tzinfo=UTC) if since else None,
                                   quiet=quiet, wait=wait) for s in _selected(app_, sources)]
        _summary(app_, results)
    finally:
        app_.close()
    if any(r.status != "ok" for r in results):
        raise typer.Exit(1)


def _resync_waiting(app_: App, source: SourceCommon, full: bool, since: datetime | None,
                    *, quiet: bool, wait: bool) -> RunResult:
    """A resync of ``source``, after the process that holds it (a daemon) is done."""
    source_id = ensure_source(app_, source)
    while True:
        holder = lease_holder(app_.sessions, source_lease(source_id)) if wait else None
        if holder is None:
            result = _resync_one(app_, source, full, since, quiet)
            if result.status != "busy" or not wait:
                return result
            continue
        console.print(f"{source.name}: {holder} is syncing it; waiting for it to finish",
                      highlight=False)
        while lease_holder(app_.sessions, source_lease(source_id)) is not None:
            time.sleep(LEASE_POLL_SECONDS)


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
                    "new people", "new accounts", "merged", title="resync")
    for r in results:
        s = r.stats
        summary.add_row(r.source, r.status + (" (full)" if r.full else ""), str(s.messages),
                        str(s.new_interactions), str(s.skipped), str(s.quarantined),
                        str(s.new_contacts), str(s.new_accounts), str(s.merged))
    console.print(summary)
    for r in results:
        if r.error:
            console.print(f"[red]{r.source}: {r.error}[/]", highlight=False)
    with session_scope(app_.sessions) as session:
        counts = {name: session.execute(select(func.count()).select_from(model)).scalar()
                  for name, model in (("interactions", Interaction),
                                      ("quarantined items", Quarantine))}
        counts["accounts"] = session.execute(select(func.count()).select_from(Account).where(
            Account.merged_into_id.is_(None))).scalar()
        people = session.execute(select(Contact.is_internal, func.count())
                                 .where(Contact.merged_into_id.is_(None))
                                 .group_by(Contact.is_internal)).all()
    by_kind = dict(people)
    console.print(f"The CRM now holds {by_kind.get(False, 0)} contacts, "
                  f"{counts['accounts']} accounts, {counts['interactions']} interactions "
                  f"and {by_kind.get(True, 0)} colleagues; "
                  f"{counts['quarantined items']} items in quarantine.")


@app.command()
def run(
    once: Annotated[bool, typer.Option(help="sync every source once, then exit")] = False,
    allow_root: Annotated[bool, typer.Option(
        "--allow-root", envvar="SYNCD_ALLOW_ROOT",
        help="run even as root (a container whose only user is root)")] = False,
) -> None:
    """Run the daemon: each source on its own schedule until stopped."""
    if os.geteuid() == 0 and not allow_root:
        errors.print("[red]refusing to run as root:[/] a daemon that holds every "
                     "mailbox's sign-in should run as its own user (`useradd --system "
                     "syncd`); --allow-root (or SYNCD_ALLOW_ROOT=1) overrides this",
                     highlight=False)
        raise typer.Exit(2)
    app_ = state.open(daemon=True)
    daemon = None if once else Daemon(find_config(state.config_path), app_)
    if daemon is not None:
        daemon.install_signals()
    app_.upgrade()
    try:
        if daemon is None:
            failed = [r for r in (run_source(app_, s) for s in app_.config.sources)
                      if r.status != "ok"]
            for r in failed:
                console.print(f"[red]{r.source}: {r.status}: {r.error}[/]", highlight=False)
            if failed:
                raise typer.Exit(1)
            return
        daemon.run()
        app_ = daemon.app  # a reload may have replaced it; it shares the engine
    finally:
        app_.close()


@app.command()
def verify(
    source: Annotated[str, typer.Argument(help="the source to check")],
    since: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="from this day (default: 30 days before --until)")] = None,
    until: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="up to this day (default: the last successful sync)")
    ] = None,
) -> None:
    """Compare what the source holds with what the CRM captured, and name any gap.

    Exits 1 when an item of the source is not accounted for."""
    from syncd.verify import describe
    from syncd.verify import verify as compare

    app_ = state.open()
    try:
        app_.upgrade()
        [chosen] = _selected(app_, [source])
        report = compare(app_, chosen, _utc(since), _utc(until))
    except SourceError as exc:
        errors.print(f"[red]cannot verify {escape(source)}:[/] {escape(str(exc))}",
                     highlight=False)
        raise typer.Exit(1) from None
    finally:
        app_.close()
    for line in describe(report):
        console.print(escape(line), highlight=False)
    if report.missing:
        raise typer.Exit(1)


def _utc(day: datetime | None) -> datetime | None:
    return day.replace(tzinfo=UTC) if day is not None and day.tzinfo is None else day


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
    listing = table("source", "kind", "state", "last success", "lag", "items",
                    "quarantined", "last error", title="sources")
    configured = {s.name: s for s in app_.config.sources}
    for row in rows:
        listing.add_row(row["name"], row["kind"], _state_words(row, configured.get(row["name"])),
                        when(row["last_success_at"]), _lag(row["newest_item_at"]),
                        str(row["items_total"]), str(row["quarantined"]),
                        row["last_error"] or "")
    console.print(listing)


def _state_words(row: dict[str, Any], source: SourceCommon | None) -> str:
    """The source's state as an operator reads it: what it is doing or waiting for."""
    state_, name = str(row["state"]), str(row["name"])
    if source is None:
        return f"{state_} (no longer configured)"
    if row["lease_owner"] and state_ == "running":
        return f"syncing ({row['lease_owner']})"
    if state_ == "needs_auth":
        return f"needs sign-in: syncd auth {name}"
    if state_ == "failed" and row["failures"] > 1 and row["last_error_at"]:
        retry = row["last_error_at"] + backoff(source.every, row["failures"])
        return f"failing ({row['failures']} runs in a row); next try {retry:%Y-%m-%d %H:%M}"
    return {"new": "never synced", "interrupted": "stopped mid-run; resumes next run",
            "failed": "failed; retries next run"}.get(state_, state_)


def _lag(newest: datetime | None) -> str:
    """Time since the newest captured item: a lag that keeps growing means a source
    that has stopped delivering, whatever its state says."""
    if newest is None:
        return "-"
    seconds = max(0, int((datetime.now(UTC) - newest).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Ids = Annotated[list[int] | None, typer.Argument(help="quarantine ids (see list)")]
FromSource = Annotated[str | None, typer.Option("--source", help="only this source's items")]
PREVIEW_BYTES = 4096


@quarantine_app.command("list")
def quarantine_list(limit: Annotated[int, typer.Option(help="how many")] = 50,
                    source: FromSource = None) -> None:
    """The newest quarantined items with their reasons."""
    app_ = state.open()
    try:
        app_.upgrade()
        with session_scope(app_.sessions) as session:
            items = read.quarantined(session, limit, source=source)
    finally:
        app_.close()
    listing = table("id", "source", "external id", "reason", "since", title="quarantine")
    for item in items:
        listing.add_row(str(item["id"]), item["source"], item["external_id"], item["reason"],
                        day(item["created_at"]))
    console.print(listing)


@quarantine_app.command("show")
def quarantine_show(quarantine_id: int) -> None:
    """One quarantined item: why, from where, and the start of what was kept."""
    app_ = state.open()
    try:
        app_.upgrade()
        with session_scope(app_.sessions) as session:
            item = read.quarantined_item(session, quarantine_id)
    finally:
        app_.close()
    if item is None:
        raise LookupError(f"no quarantined item #{quarantine_id}")
    for key in ("source", "external_id", "reason", "created_at", "raw_format"):
        console.print(f"[bold]{key}[/]: {escape(str(item[key]))}", highlight=False)
    raw: bytes = item["raw"]
    console.print(f"[bold]kept[/]: {len(raw)} bytes", highlight=False)
    text = raw[:PREVIEW_BYTES].decode("utf-8", "replace")
    console.out("".join(c if c.isprintable() or c in "\n\t" else "\ufffd" for c in text),
                highlight=False)


@quarantine_app.command("retry")
def quarantine_retry(ids: Ids = None, source: FromSource = None) -> None:
    """Capture quarantined items again (after an upgrade or a policy change)."""
    from syncd.quarantine import retry

    app_ = state.open()
    try:
        app_.upgrade()
        with session_scope(app_.sessions) as session:
            chosen = ids or [i["id"] for i in read.quarantined(session, None, source=source)]
        results = retry(app_, chosen)
    finally:
        app_.close()
    listing = table("id", "result", "detail", title="retry")
    for result in results:
        listing.add_row(str(result.id), "out of quarantine" if result.captured else "still in",
                        result.detail)
    console.print(listing)
    if not all(r.captured for r in results):
        raise typer.Exit(1)


@quarantine_app.command("drop")
def quarantine_drop(ids: Ids = None, source: FromSource = None,
                    every: Annotated[bool, typer.Option(
                        "--all", help="every item (of --source, if given)")] = False) -> None:
    """Delete quarantined items for good: a choice made by a person, never by syncd."""
    if not ids and not every:
        raise typer.BadParameter("name the items to drop, or --all")
    app_ = state.open()
    try:
        app_.upgrade()
        with session_scope(app_.sessions) as session:
            dropped = read.drop_quarantined(session, ids, source=source)
    finally:
        app_.close()
    console.print(f"dropped {dropped} item(s) from quarantine")
