"""Alembic environment: syncd always hands over an open connection.

Migrations ship inside the package and run through :func:`syncd.db.schema.upgrade`,
never through an ``alembic.ini``, so the database URL comes from the syncd config.
"""

from __future__ import annotations

from alembic import context

from syncd.db.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
