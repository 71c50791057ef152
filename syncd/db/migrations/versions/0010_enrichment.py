"""Enrichment: where a fact was read (observations.source_url), and the answer cache.

Revision ID: 0010
Revises: 0009
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('observations') as batch:
        batch.add_column(sa.Column('source_url', sa.String(length=2000), nullable=True))
    op.create_table('enrichment_cache',
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=320), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('account_id', ID, nullable=True),
    sa.Column('contact_id', ID, nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                            name=op.f('fk_enrichment_cache_account_id_accounts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_enrichment_cache_contact_id_contacts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider', 'key', name=op.f('pk_enrichment_cache'))
    )
    op.create_index(op.f('ix_enrichment_cache_account_id'), 'enrichment_cache',
                    ['account_id'])
    op.create_index(op.f('ix_enrichment_cache_contact_id'), 'enrichment_cache',
                    ['contact_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_enrichment_cache_contact_id'), table_name='enrichment_cache')
    op.drop_index(op.f('ix_enrichment_cache_account_id'), table_name='enrichment_cache')
    op.drop_table('enrichment_cache')
    with op.batch_alter_table('observations') as batch:
        batch.drop_column('source_url')
