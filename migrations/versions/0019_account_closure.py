"""账号注销: the account's closure state (active → closing → closed) and when it moved

Revision ID: 0019
Revises: 0021b
Create Date: 2026-12-04 13:00:00
"""
import sqlalchemy as sa
from alembic import op

from idp.db.base import UTCDateTime

revision = '0019'
down_revision = '0021b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('closure_state', sa.String(length=16), nullable=False, server_default='active'))
        batch.add_column(sa.Column('closure_requested_at', UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('closed_at', UTCDateTime(timezone=True), nullable=True))
        batch.create_index('ix_accounts_closure_state', ['closure_state'])


def downgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.drop_index('ix_accounts_closure_state')
        batch.drop_column('closed_at')
        batch.drop_column('closure_requested_at')
        batch.drop_column('closure_state')
