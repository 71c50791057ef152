"""``syncd enrich``: the daemon's enrichment pass, now, with a progress bar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from syncd.cli.app import app, console, state
from syncd.cli.render import table

if TYPE_CHECKING:
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
    from syncd.enrich import account_ids, enrich  # the providers load only when used

    app_ = state.open()
    try:
        app_.upgrade()
        ids = account_ids(app_, accounts) if accounts else None
        columns = (TextColumn("[bold]enrich"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=console, disable=quiet) as progress:
            task = progress.add_task("enrich", total=None)
            stats = enrich(app_, ids, force=force, progress=lambda done, total: progress.update(
                task, completed=done, total=total))
    finally:
        app_.close()
    _summary(stats, outbound=app_.config.enrichment.outbound)


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
