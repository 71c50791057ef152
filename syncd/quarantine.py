"""Retrying quarantined items: read the kept bytes again, plan, write.

An item lands in quarantine when its connector could not decode it or the pipeline
failed on it; either may be fixed by a newer syncd, or by a changed list or policy.
A retry reads what was kept (:class:`connectors.base.BadItem` ``format``): a message
(``rfc822``) is parsed as the connector would, a kept item (``item``) is loaded as
it was delivered. It is then planned with the source's current policy and written
like a batch, without moving the source's cursor. Success removes it from
quarantine; a new failure replaces the reason. The provider's own JSON (``json``)
can only be read again by the connector: a full resync of the source does that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from connectors.base import RawMessage
from connectors.rfc822 import parse_message
from syncd import item_json
from syncd.app import App
from syncd.db.models import Quarantine, Source
from syncd.db.session import session_scope
from syncd.errors import BadItemError
from syncd.forgetting import without_forgotten
from syncd.meetings import plan_event
from syncd.pipeline import Context, InteractionPlan, plan_message
from syncd.retention import within
from syncd.store.forget import told_what_is_forgotten
from syncd.store.write import KEEP_CURSOR, write_batch


@dataclass(frozen=True)
class Retried:
    id: int
    captured: bool
    detail: str


def retry(app: App, ids: list[int]) -> list[Retried]:
    """Each quarantined item again, in its own transaction."""
    return [_retry_one(app, quarantine_id) for quarantine_id in ids]


def _retry_one(app: App, quarantine_id: int) -> Retried:
    with session_scope(app.sessions) as session:
        row = session.get(Quarantine, quarantine_id)
        if row is None:
            return Retried(quarantine_id, False, "no such quarantined item")
        source_name = session.execute(select(Source.name).where(
            Source.id == row.source_id)).scalar_one()
        try:
            context = told_what_is_forgotten(
                session, app.context(app.config.source(source_name)))
        except KeyError:
            return Retried(quarantine_id, False,
                           f"source {source_name} is no longer configured")
        try:
            plan = _plan(row, context, source_name)
        except Exception as exc:  # the failure that quarantined it, or a new one
            reason = str(exc) if isinstance(exc, BadItemError | ValueError) else \
                f"the pipeline failed on it again: {type(exc).__name__}: {exc}"
            session.execute(update(Quarantine).where(Quarantine.id == row.id)
                            .values(reason=f"retried: {reason}"))
            return Retried(quarantine_id, False, reason)
        stats = write_batch(session, row.source_id, [plan], bad=[], deletions=[],
                            cursor=KEEP_CURSOR, now=datetime.now(UTC), rules=app.identity)
        session.execute(delete(Quarantine).where(Quarantine.id == row.id))
    detail = f"skipped: {plan.skipped.rule}" if plan.skipped else (
        "captured" if stats.new_interactions else "already captured")
    return Retried(quarantine_id, True, detail)


def _plan(row: Quarantine, context: Context, source_name: str) -> InteractionPlan:
    """The kept bytes planned again; ValueError or BadItemError when they cannot be."""
    if row.raw_format == "rfc822":
        if not row.raw:
            raise ValueError("nothing was kept of it; a full resync of the source reads "
                             "it again")
        plan = plan_message(parse_message(row.raw, external_id=row.external_id), context)
    elif row.raw_format == "item":
        item = item_json.loads(row.raw)
        plan = plan_message(item, context) if isinstance(item, RawMessage) \
            else plan_event(item, context)
    else:
        raise ValueError(f"kept as {row.raw_format}, which only the connector reads: run "
                         f"`syncd resync {source_name} --full`")
    return within(without_forgotten(plan, context), context.content_cutoff)
