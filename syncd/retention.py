"""``retention.content``: what a message or meeting said is kept only so long.

Past the period an interaction keeps its metadata (when, who, with whom, which
mailbox saw it, its direction) and loses its subject, snippet, body and location,
and a quarantined item, which holds a whole message, is dropped (and stays
accounted for, as ``syncd verify`` expects). ``syncd retention apply`` does it
now; the daemon does it every ``retention.every``. A later sync that meets an
expired message again stores its metadata only, so a resync cannot bring the text
back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from syncd.db.models import Interaction, Quarantine
from syncd.db.session import session_scope
from syncd.pipeline import InteractionPlan
from syncd.store.read import drop_quarantined

if TYPE_CHECKING:
    from syncd.app import App

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Expired:
    interactions: int
    quarantined: int


def apply_policy(app: App) -> Expired | None:
    """``retention.content`` applied now; None when the configuration sets none."""
    period = app.config.retention.content
    if period is None:
        return None
    with session_scope(app.sessions) as session:
        return apply(session, datetime.now(UTC) - period)


def apply(session: Session, cutoff: datetime) -> Expired:
    """Drop the content of everything dated before ``cutoff``."""
    content = (Interaction.subject, Interaction.snippet, Interaction.body,
               Interaction.location)
    result = session.execute(
        update(Interaction)
        .where(Interaction.occurred_at < cutoff,
               or_(*(column.is_not(None) for column in content)))
        .values(subject=None, snippet=None, body=None, location=None, visibility="metadata"))
    old = list(session.execute(select(Quarantine.id).where(
        Quarantine.created_at < cutoff)).scalars())
    dropped = drop_quarantined(session, old) if old else 0
    expired = Expired(int(getattr(result, "rowcount", 0)), dropped)
    log.info("retention: content dropped from %d interaction(s) dated before %s; "
             "%d quarantined item(s) dropped", expired.interactions, f"{cutoff:%Y-%m-%d}",
             expired.quarantined)
    return expired


def within(plan: InteractionPlan, cutoff: datetime | None) -> InteractionPlan:
    """The plan as retention lets it be stored: metadata only when it is dated
    before ``cutoff``."""
    if cutoff is None or plan.occurred_at is None or plan.occurred_at >= cutoff:
        return plan
    return replace(plan, visibility="metadata", subject=None, snippet=None, body=None,
                   location=None)
