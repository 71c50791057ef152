"""``syncd enrich``: the daemon's enrichment pass, now, with a progress bar; after the
pass another process (a daemon) is running, if there is one."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from syncd.cli.app import app, console, state
from syncd.cli.render import table
from syncd.cli.sync import LEASE_POLL_SECONDS
from syncd.leases import job_lease, lease_holder

if TYPE_CHECKING:
    from syncd.app import App
    from syncd.enrich import EnrichStats


@app.command("enrich")
def enrich_command(
    accounts: Annotated[list[str] | None, typer.Argument(
        help="account ids or domains (default: every account and contact)")] = None,
    force: Annotated[bool, typer.Option(help="ask again even where a cached answer "
                                        "has not expired")] = False,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Look up what is due: company websites and configured APIs (only with
    enrichment.outbound), then country and time zone from phones and addresses."""
    from syncd.enrich import account_ids  # the providers load only when used

    app_ = state.open()
    try:
        app_.upgrade()
        ids = account_ids(app_, accounts) if accounts else None
        _wait_for_others(app_)
        stats = _enrich_once(app_, ids, force, quiet)
        while stats.busy is not None:  # another took the lease in between
            _wait_for_others(app_)
            stats = _enrich_once(app_, ids, force, quiet)
    finally:
        app_.close()
    _summary(stats, outbound=app_.config.enrichment.outbound)


def _wait_for_others(app_: App) -> None:
    """Until no other process (a daemon) is enriching."""
    from syncd.enrich import JOB

    holder = lease_holder(app_.sessions, job_lease(JOB))
    if holder is not None:
        console.print(f"{holder} is enriching; waiting for it to finish", highlight=False)
    while lease_holder(app_.sessions, job_lease(JOB)) is not None:
        time.sleep(LEASE_POLL_SECONDS)


def _enrich_once(app_: App, ids: list[int] | None, force: bool, quiet: bool) -> EnrichStats:
    from syncd.enrich import enrich

    columns = (TextColumn("[bold]enrich"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, disable=quiet) as progress:
        task = progress.add_task("enrich", total=None)
        return enrich(app_, ids, force=force, progress=lambda done, total: progress.update(
            task, completed=done, total=total))


def _summary(stats: EnrichStats, *, outbound: bool) -> None:
    listing = table("provider", "lookups", "cached", "found", "nothing", "failed",
                    "requests", title="enrichment")
    for name, t in sorted(stats.providers.items()):
        listing.add_row(name, str(t.lookups), str(t.hits), str(t.found), str(t.empty),
                        str(t.failed), str(t.requests))
    console.print(listing)
    console.print(f"{stats.targets} accounts and contacts, {stats.facts} facts stored"
                  + (f", {stats.held_back} lookups kept on this machine (free mail, the "
                     "team's own or denied domains)" if stats.held_back else ""))
    if not outbound:
        console.print("outbound requests are off (enrichment.outbound: false): only "
                      "offline facts were derived")
