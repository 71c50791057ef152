"""Identity resolution: match keys, merge status and author, merge indexes.

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('match_keys',
    sa.Column('key', sa.String(length=600), nullable=False),
    sa.Column('subject_type', sa.String(length=10), nullable=False),
    sa.Column('subject_id', ID, nullable=False),
    sa.PrimaryKeyConstraint('key', 'subject_type', 'subject_id', name=op.f('pk_match_keys'))
    )
    op.create_index('ix_match_keys_subject', 'match_keys', ['subject_type', 'subject_id'])
    with op.batch_alter_table('merges') as batch:
        batch.add_column(sa.Column('status', sa.String(length=10), server_default='applied',
                                   nullable=False))
        batch.add_column(sa.Column('by', sa.String(length=10), server_default='rules',
                                   nullable=False))
    op.create_index('ix_merges_pair', 'merges', ['subject_type', 'loser_id', 'winner_id'])
    op.create_index(op.f('ix_contacts_merged_into_id'), 'contacts', ['merged_into_id'])
    op.create_index(op.f('ix_accounts_merged_into_id'), 'accounts', ['merged_into_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_accounts_merged_into_id'), table_name='accounts')
    op.drop_index(op.f('ix_contacts_merged_into_id'), table_name='contacts')
    op.drop_index('ix_merges_pair', table_name='merges')
    with op.batch_alter_table('merges') as batch:
        batch.drop_column('by')
        batch.drop_column('status')
    op.drop_index('ix_match_keys_subject', table_name='match_keys')
    op.drop_table('match_keys')
