"""officials (unit, jurisdiction), the TOTP second factor of portal accounts, a client's binding modes

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 12:30:00
"""
import sqlalchemy as sa
from alembic import op

from idp.db.base import UTCDateTime

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('unit', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('jurisdiction', sa.String(length=6), nullable=True))
    with op.batch_alter_table('clients') as batch:
        batch.add_column(sa.Column('binding_modes', sa.JSON(), nullable=True))
    op.create_table(
        'account_totp',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('totp_secret_encrypted', sa.String(length=255), nullable=False),
        sa.Column('totp_enrolled_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id']),
        sa.PrimaryKeyConstraint('account_id'),
    )


def downgrade() -> None:
    op.drop_table('account_totp')
    with op.batch_alter_table('clients') as batch:
        batch.drop_column('binding_modes')
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('jurisdiction')
        batch.drop_column('unit')
