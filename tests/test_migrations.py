"""The shipped migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from syncd.db.models import Base
from syncd.db.schema import HEAD, current_revision, head_revision
from syncd.errors import StoreError


def test_migrations_match_models(make_app: Any) -> None:
    app = make_app()
    assert current_revision(app.engine) == head_revision()
    with app.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_head_constant_is_the_newest_script() -> None:
    assert head_revision() == HEAD


def test_a_database_from_a_newer_syncd_is_refused(make_app: Any) -> None:
    app = make_app()
    with app.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match=r"revision 9999.*newer syncd"):
        app.upgrade()


def test_upgrade_twice_is_a_no_op(make_app: Any) -> None:
    app = make_app()
    assert app.upgrade() == (head_revision(), head_revision())
    tables = set(inspect(app.engine).get_table_names())
    assert {"contacts", "interactions", "observations", "seen_addresses"} <= tables


def test_sqlite_file_is_private_and_in_wal_mode(make_app: Any) -> None:
    app = make_app()
    if app.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite file's properties")
    path = Path(app.engine.url.database or "")
    assert path.stat().st_mode & 0o777 == 0o600
    with app.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
