"""Bringing a database to the schema this version of syncd needs.

``run`` and ``resync`` call :func:`upgrade` first, so a new install and an upgrade of
syncd need no separate step; a database written by a newer syncd is refused rather
than silently misread. A database already at :data:`HEAD` costs one query: Alembic
(about a tenth of a second to import and to read its scripts) is loaded only when
there is something to migrate.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from syncd.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0013"
"""The newest migration shipped; a test holds it equal to the scripts' head."""


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The newest migration this version of syncd ships, read from the scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")
                                  ).scalar_one_or_none()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Migrate to the newest revision; returns (before, after)."""
    before = current_revision(engine)
    if before == HEAD:
        return before, HEAD
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    if before is not None and before not in {r.revision for r in script.walk_revisions()}:
        raise StoreError(f"the database is at revision {before}, which this version of "
                         "syncd does not know: it was written by a newer syncd")
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, HEAD
