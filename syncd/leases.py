"""Which process syncs a source: a lease row, so two never sync one source at once.

The lease is the source row's ``lease_owner`` (``host:pid``) and ``lease_expires_at``.
It is taken when free, expired, or left by a process of this host that no longer
exists (killed before it could release it); it is extended with every batch and
released when the run ends. Several ``syncd`` processes on several hosts can so
share one database.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from syncd.db.models import Source
from syncd.db.session import session_scope

LEASE = timedelta(minutes=5)


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def take_lease(sessions: sessionmaker[Session], source_id: int) -> bool:
    """Hold the source for this process: free, expired, or left by a process of this
    host that no longer exists (killed before it could release it)."""
    now = datetime.now(UTC)
    with session_scope(sessions) as session:
        holder = session.execute(select(Source.lease_owner)
                                 .where(Source.id == source_id)).scalar()
        dead = [holder] if holder and _died_here(holder) else []
        taken = session.execute(
            update(Source).where(Source.id == source_id, or_(
                Source.lease_owner.is_(None), Source.lease_expires_at < now,
                Source.lease_owner.in_([owner_id(), *dead])))
            .values(lease_owner=owner_id(), lease_expires_at=now + LEASE))
        return bool(getattr(taken, "rowcount", 0))


def lease_holder(sessions: sessionmaker[Session], source_id: int) -> str | None:
    """Who holds the source's lease now (``host:pid``), if anyone (a process of this
    host that died holds nothing)."""
    with session_scope(sessions) as session:
        holder: str | None = session.execute(
            select(Source.lease_owner).where(Source.id == source_id,
                                             Source.lease_expires_at >= datetime.now(UTC))
        ).scalar()
    return None if holder is None or _died_here(holder) else holder


def _died_here(holder: str) -> bool:
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def extend_lease(session: Session, source_id: int) -> None:
    session.execute(update(Source).where(Source.id == source_id)
                    .values(lease_expires_at=datetime.now(UTC) + LEASE))
