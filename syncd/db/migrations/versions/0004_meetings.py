"""Meetings: interactions get an end time, a location and a status.

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('location', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_column('status')
        batch_op.drop_column('location')
        batch_op.drop_column('ends_at')
