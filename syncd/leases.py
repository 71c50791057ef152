"""Which process syncs a source: a lease row, so two never sync one source at once.

The lease is the source row's ``lease_owner`` and ``lease_expires_at`` (a job that
one process at a time runs, the enrichment pass, has a ``job_leases`` row with the
same two columns, held the same way: :func:`job_lease`). It is taken
with one conditional UPDATE (atomic on SQLite and PostgreSQL alike) when it is free,
expired, or left by a process of this host that no longer exists (killed before it
could release it). While a run lasts, a heartbeat thread renews it every quarter of
``database.lease`` and every batch renews it in the batch's own transaction, only if
this process still holds it: a process that stalled past its lease and was taken
over writes nothing more (:class:`LeaseLost`). A process on another host that dies
holds its sources until its lease runs out, then any other process takes them.

The owner is ``host:pid:instance``. ``instance`` names the PID namespace and a
random token, so two containers that share a host name and a PID (PID 1 in each)
never take each other for themselves, nor each other's live process for a dead one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from syncd.db.models import JobLease, Source
from syncd.db.session import session_scope
from syncd.store.upsert import insert_ignore

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another process holds the source now: this one stalled past its lease."""


@dataclass(frozen=True)
class Held:
    """What a lease is on: a source's row, or a job's."""

    what: str
    """How logs name it."""
    model: type[Source] | type[JobLease]
    row: ColumnElement[bool]
    new: dict[str, Any] | None = None
    """The row to insert if there is none yet (a job's)."""


def source_lease(source_id: int) -> Held:
    return Held(f"source {source_id}", Source, Source.id == source_id)


def job_lease(name: str) -> Held:
    return Held(f"job {name}", JobLease, JobLease.name == name, {"name": name})


def _pid_namespace() -> str:
    try:
        return Path("/proc/self/ns/pid").readlink().name.removeprefix("pid:[").rstrip("]")
    except OSError:
        return "-"


_INSTANCE = f"{_pid_namespace()}-{secrets.token_hex(4)}"


def owner_id() -> str:
    """This process, as lease rows and ``syncd status`` name it."""
    return f"{socket.gethostname()}:{os.getpid()}:{_INSTANCE}"


def take_lease(sessions: sessionmaker[Session], held: Held, lease: timedelta) -> bool:
    """Hold it for ``lease``: free, expired, or left by a dead process of this host
    (and PID namespace)."""
    with session_scope(sessions) as session:
        return take_lease_in(session, held, lease)


def take_lease_in(session: Session, held: Held, lease: timedelta) -> bool:
    """:func:`take_lease` in the caller's transaction, so that what the holder writes
    first (a run's record) commits with it: one transaction where there were two."""
    now = datetime.now(UTC)
    model = held.model
    if held.new is not None:
        insert_ignore(session, model, [held.new], [c.name for c in model.__table__.primary_key])
    holder = session.execute(select(model.lease_owner).where(held.row)).scalar()
    dead = [holder] if holder and _died_here(holder) else []
    taken = session.execute(
        update(model).where(held.row, or_(
            model.lease_owner.is_(None), model.lease_expires_at < now,
            model.lease_owner.in_([owner_id(), *dead])))
        .values(lease_owner=owner_id(), lease_expires_at=now + lease))
    return bool(getattr(taken, "rowcount", 0))


def lease_holder(sessions: sessionmaker[Session], held: Held) -> str | None:
    """Who holds the lease now, if anyone (a dead process of this host holds
    nothing)."""
    model = held.model
    with session_scope(sessions) as session:
        holder: str | None = session.execute(
            select(model.lease_owner).where(held.row,
                                            model.lease_expires_at >= datetime.now(UTC))
        ).scalar()
    return None if holder is None or _died_here(holder) else holder


def _died_here(holder: str) -> bool:
    host, pid, instance = [*holder.split(":"), "", ""][:3]
    namespace = instance.partition("-")[0]
    if host != socket.gethostname() or namespace != _pid_namespace() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return holder != owner_id() and int(pid) == os.getpid()  # this pid, another life


def extend_lease(session: Session, held: Held, lease: timedelta) -> None:
    """Renew the lease in the caller's transaction; :class:`LeaseLost` (which rolls
    it back) when another process holds it now."""
    renewed = session.execute(
        update(held.model).where(held.row, held.model.lease_owner == owner_id())
        .values(lease_expires_at=datetime.now(UTC) + lease))
    if not getattr(renewed, "rowcount", 0):
        raise LeaseLost(f"another syncd process took the {held.what.split()[0]} over "
                        "(this one stalled longer than database.lease)")


@contextlib.contextmanager
def heartbeat(sessions: sessionmaker[Session], held: Held,
              lease: timedelta) -> Iterator[None]:
    """Renew the lease every quarter of it while the block runs, so a long wait (a
    server's Retry-After, a slow page) does not let it expire. A lost lease stops the
    beat; the next batch's own renewal then stops the run."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(lease.total_seconds() / 4):
            try:
                with session_scope(sessions) as session:
                    extend_lease(session, held, lease)
            except LeaseLost:
                log.warning("%s: %s", held.what, "the lease was taken over")
                return
            except Exception:  # the database is away: the next beat tries again
                log.warning("could not renew the lease of %s", held.what, exc_info=True)

    thread = threading.Thread(target=beat, name=f"lease-{held.what}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def release_lease(session: Session, held: Held) -> bool:
    """Give it up, if this process still holds it; False when another does."""
    released = session.execute(
        update(held.model).where(held.row, held.model.lease_owner == owner_id())
        .values(lease_owner=None, lease_expires_at=None))
    return bool(getattr(released, "rowcount", 0))
