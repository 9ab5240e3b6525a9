"""consultations: the questions of 咨询, with the indexes of the help desk's queue, of an
account's questions and of the lookup without login

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 09:00:00
"""
import sqlalchemy as sa
from alembic import op

import idp.db.base

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consultations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('account_type', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('id_type', sa.String(length=32), nullable=False),
    sa.Column('id_number', sa.String(length=32), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('lookup_key', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', idp.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', idp.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assignee', sa.String(length=64), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', idp.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', idp.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_consultations_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultations')),
    sa.UniqueConstraint('reference', name=op.f('uq_consultations_reference'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index('ix_consultations_status_due_at', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_consultations_account_id_submitted_at', ['account_id', 'submitted_at'],
                              unique=False)
        batch_op.create_index('ix_consultations_lookup_key_submitted_at', ['lookup_key', 'submitted_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index('ix_consultations_lookup_key_submitted_at')
        batch_op.drop_index('ix_consultations_account_id_submitted_at')
        batch_op.drop_index('ix_consultations_status_due_at')

    op.drop_table('consultations')
