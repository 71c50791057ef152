"""Suggestions found by either record: an index on merges' winner.

Revision ID: 0011
Revises: 0010
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('merges') as batch:
        batch.create_index('ix_merges_winner', ['subject_type', 'winner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('merges') as batch:
        batch.drop_index('ix_merges_winner')
