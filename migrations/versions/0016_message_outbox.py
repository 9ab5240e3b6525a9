"""the message outbox: SMS and e-mail written in the transaction, sent after it, retried

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-04 10:30:00
"""
import sqlalchemy as sa
from alembic import op

from idp.db.base import UTCDateTime

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'message_outbox',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('params', sa.JSON(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('delivered_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('abandoned_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_message_outbox_next_attempt_at', 'message_outbox', ['next_attempt_at'])


def downgrade() -> None:
    op.drop_index('ix_message_outbox_next_attempt_at', table_name='message_outbox')
    op.drop_table('message_outbox')
