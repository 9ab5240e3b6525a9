"""a client's default_acr_values (OIDC Dynamic Client Registration §2), and deleted_at: a deleted
client stays as a row (the audit log and ended bindings name it) that nothing finds or re-enables

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 10:30:00
"""
import sqlalchemy as sa
from alembic import op

import idp.db.base

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clients') as batch_op:
        batch_op.add_column(sa.Column('default_acr_values', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', idp.db.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clients') as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('default_acr_values')
