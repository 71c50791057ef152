"""``syncd verify SOURCE``: does the CRM account for everything the source holds?

The answer to "the status says healthy but mail is missing". The connector lists
what the source holds over a window (ids and days, no content); the database says
what became of each id: linked to an interaction, skipped by a rule, a second copy,
forgotten, dropped, or in quarantine. An id the database cannot account for is a
gap. The window ends where the last successful sync started, so mail that arrived
since is not taken for a gap; it begins no earlier than the source's backfill
reaches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.base import Held
from connectors.registry import connector_class
from syncd.app import App
from syncd.config import SourceCommon
from syncd.db.models import (
    Interaction,
    InteractionSource,
    Quarantine,
    SourceItem,
    SyncRun,
)
from syncd.db.session import session_scope
from syncd.errors import SourceUnusable
from syncd.pipeline import shows_text
from syncd.runner import ensure_source, keep_refreshed_token, stored_token

DEFAULT_WINDOW = timedelta(days=30)
SHOWN_IDS = 20
"""Missing ids listed per folder and day; the counts are always complete."""


@dataclass
class Bucket:
    """One folder's items of one day."""

    folder: str | None
    day: date | None
    held: int = 0
    captured: int = 0
    missing: list[str] = field(default_factory=list)


@dataclass
class Report:
    source: str
    since: datetime
    until: datetime
    buckets: list[Bucket]
    outcomes: Counter[str]
    """How the held items are accounted for: captured, skipped:RULE, copy, ..."""
    gone: int
    """Captured items of the window the source no longer holds (history stays)."""

    @property
    def held(self) -> int:
        return sum(b.held for b in self.buckets)

    @property
    def missing(self) -> int:
        return sum(len(b.missing) for b in self.buckets)

    @property
    def gaps(self) -> list[Bucket]:
        return [b for b in self.buckets if b.missing]


def verify(app: App, source: SourceCommon, since: datetime | None = None,
           until: datetime | None = None) -> Report:
    """Compare what ``source`` holds in the window with what the database accounts for."""
    source_id = ensure_source(app, source)
    with session_scope(app.sessions) as session:
        since, until = _window(session, source, source_id, since, until)
        accounted = _accounted(session, source_id)
    cls = connector_class(source.kind)
    token = stored_token(app, source.name) if cls.needs_token(source) else None
    connector = cls(source.name, source, token,
                    bodies=shows_text(app.config.capture_for(source)))
    try:
        buckets, outcomes, held_ids = _compare(connector.holdings(since, until), accounted)
    finally:
        connector.close()
        keep_refreshed_token(app, source.name, token, connector.token)
    with session_scope(app.sessions) as session:
        gone = _gone(session, source_id, since, until, held_ids)
    return Report(source.name, since, until, buckets, outcomes, gone)


def _window(session: Session, source: SourceCommon, source_id: int,
            since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    if until is None:
        until = session.execute(
            select(func.max(SyncRun.started_at)).where(
                SyncRun.source_id == source_id, SyncRun.status == "ok")).scalar()
        if until is None:
            raise SourceUnusable(f"{source.name} has not been synced yet; "
                                 f"run `syncd resync {source.name}` first")
    if since is None:
        since = until - DEFAULT_WINDOW
    if source.backfill is not None:
        since = max(since, now - source.backfill)
    return since, until


def _accounted(session: Session, source_id: int) -> dict[str, str]:
    """Every external id of the source the database knows, with what became of it."""
    known: dict[str, str] = {}
    for (external,) in session.execute(select(InteractionSource.external_id).where(
            InteractionSource.source_id == source_id)):
        known[external] = "captured"
    for external, outcome in session.execute(select(
            SourceItem.external_id, SourceItem.outcome).where(
            SourceItem.source_id == source_id)):
        known.setdefault(external, outcome)
    for (external,) in session.execute(select(Quarantine.external_id).where(
            Quarantine.source_id == source_id)):
        known.setdefault(external, "quarantined")
    return known


def _compare(held: Iterable[Held], accounted: dict[str, str]
             ) -> tuple[list[Bucket], Counter[str], set[str]]:
    buckets: dict[tuple[str | None, date | None], Bucket] = {}
    outcomes: Counter[str] = Counter()
    seen: set[str] = set()
    for item in held:
        if item.external_id in seen:
            continue
        seen.add(item.external_id)
        bucket = buckets.setdefault((item.folder, item.day), Bucket(item.folder, item.day))
        bucket.held += 1
        outcome = accounted.get(item.external_id)
        if outcome is None:
            bucket.missing.append(item.external_id)
            continue
        outcomes[outcome] += 1
        bucket.captured += outcome == "captured"
    ordered = sorted(buckets.values(), key=lambda b: (b.folder or "", b.day or date.min))
    return ordered, outcomes, seen


def _gone(session: Session, source_id: int, since: datetime, until: datetime,
          held: set[str]) -> int:
    rows = session.execute(
        select(InteractionSource.external_id).join(
            Interaction, Interaction.id == InteractionSource.interaction_id).where(
            InteractionSource.source_id == source_id, Interaction.kind == "email",
            Interaction.occurred_at >= since, Interaction.occurred_at < until))
    return sum(1 for (external,) in rows if external not in held)



def describe(report: Report) -> Iterator[str]:
    """The report in plain words, gaps first."""
    yield (f"{report.source}: {report.held} items held from {report.since:%Y-%m-%d %H:%M} "
           f"to {report.until:%Y-%m-%d %H:%M} UTC")
    for outcome, count in sorted(report.outcomes.items()):
        yield f"  {count:>7}  {outcome}"
    if report.gone:
        yield (f"  {report.gone:>7}  captured, no longer in the source "
               "(deleted or moved there; kept here)")
    if not report.missing:
        yield "every item is accounted for"
        return
    yield f"{report.missing} item(s) missing from the CRM:"
    for bucket in report.gaps:
        shown = ", ".join(bucket.missing[:SHOWN_IDS])
        more = len(bucket.missing) - SHOWN_IDS
        yield (f"  {bucket.folder or '-'} {bucket.day or 'undated'}: {len(bucket.missing)} of "
               f"{bucket.held} missing: {shown}{f' and {more} more' if more > 0 else ''}")
    yield (f"`syncd resync {report.source} --full --since DAY` reads them again; "
           "an item that stays missing after that is a bug worth reporting")

