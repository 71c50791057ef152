"""Dialect-aware ``INSERT ... ON CONFLICT`` for SQLite and PostgreSQL.

Both speak the same upsert grammar; SQLAlchemy exposes it per dialect. Every write
of synced data goes through these, which is what makes redelivery harmless.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Table, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from syncd.db.models import Base

CHUNK = 500
"""Rows per statement: well under SQLite's and psycopg's bound-parameter limits."""


def insert_for(session: Session, model: type[Base]) -> Any:
    """The dialect's ``insert`` construct, which has ``on_conflict_*`` methods.

    Built on the Table, not the mapped class: a Core statement skips the ORM's
    bulk-insert bookkeeping, and without RETURNING the driver's own executemany runs.
    """
    table = cast(Table, model.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(session: Session, model: type[Base], rows: Sequence[dict[str, Any]],
                  keys: Sequence[str]) -> None:
    """Insert rows whose ``keys`` are new; rows that exist are left as they are."""
    for chunk in chunks(rows):
        statement = insert_for(session, model).on_conflict_do_nothing(index_elements=keys)
        session.execute(statement, chunk)


def greater(current: Any, new: Any) -> Any:
    """SQL for the larger of two values (portable ``GREATEST``)."""
    return case((new > current, new), else_=current)


def lesser(current: Any, new: Any) -> Any:
    return case((new < current, new), else_=current)


def chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
