"""Accounting for every item a source delivered, so ``syncd verify`` can tell a gap
in the CRM from a decision the rules took."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from syncd.db.models import SourceItem
from syncd.store.upsert import chunks, insert_for


def record_items(session: Session, source_id: int, items: Sequence[tuple[str, str]],
                 now: datetime) -> None:
    """Account for delivered items that are not an interaction's link (``syncd
    verify``): (external id, outcome) pairs; the latest outcome wins."""
    rows = [{"source_id": source_id, "external_id": external, "outcome": outcome[:40],
             "seen_at": now} for external, outcome in dict(items).items()]
    for chunk in chunks(rows):
        statement = insert_for(session, SourceItem)
        statement = statement.on_conflict_do_update(
            index_elements=["source_id", "external_id"],
            set_={"outcome": statement.excluded.outcome, "seen_at": statement.excluded.seen_at})
        session.execute(statement, chunk)
