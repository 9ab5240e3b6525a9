"""upstream_links: portal accounts linked to identities of the upstream identity provider

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-04 12:45:00
"""
import sqlalchemy as sa
from alembic import op

from idp.db.base import UTCDateTime

revision = '0021'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'upstream_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('upstream', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_login_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_upstream_links_account_id_accounts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_upstream_links')),
        sa.UniqueConstraint('upstream', 'subject', name='uq_upstream_links_subject'),
        sa.UniqueConstraint('upstream', 'account_id', name='uq_upstream_links_account'),
    )


def downgrade() -> None:
    op.drop_table('upstream_links')
