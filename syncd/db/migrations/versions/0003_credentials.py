"""Encrypted sign-ins (OAuth refresh tokens) per source.

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('credentials',
    sa.Column('source', sa.String(length=63), nullable=False),
    sa.Column('secret', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_credentials'))
    )


def downgrade() -> None:
    op.drop_table('credentials')
