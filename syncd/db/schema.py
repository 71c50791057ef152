"""Bringing a database to the schema this version of syncd needs.

``run`` and ``resync`` call :func:`upgrade` first, so a new install and an upgrade of
syncd need no separate step; a database written by a newer syncd is refused rather
than silently misread.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from syncd.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The newest migration this version of syncd ships."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Migrate to the newest revision; returns (before, after)."""
    before = current_revision(engine)
    script = ScriptDirectory.from_config(_alembic_config())
    if before is not None and before not in {r.revision for r in script.walk_revisions()}:
        raise StoreError(f"the database is at revision {before}, which this version of "
                         "syncd does not know: it was written by a newer syncd")
    if before != script.get_current_head():
        config = _alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    return before, head_revision()
