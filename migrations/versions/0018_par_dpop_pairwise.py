"""pushed authorization requests (RFC 9126) and a client's require_pushed_authorization_requests;
DPoP (RFC 9449): proof jtis seen, and the key a code or a public client's refresh token is bound
to; pairwise subjects (OIDC Core §8.1): a client's subject_type and sector_identifier_uri

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-04 12:15:00
"""
import sqlalchemy as sa
from alembic import op

from idp.db.base import UTCDateTime

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clients') as batch_op:
        batch_op.add_column(sa.Column('require_pushed_authorization_requests', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('subject_type', sa.String(length=16), nullable=False,
                                      server_default='public'))
        batch_op.add_column(sa.Column('sector_identifier_uri', sa.String(length=500), nullable=True))
    op.create_table(
        'pushed_requests',
        sa.Column('uri_digest', sa.String(length=64), nullable=False),
        sa.Column('client_id', sa.String(length=64), nullable=False),
        sa.Column('request', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.client_id']),
        sa.PrimaryKeyConstraint('uri_digest'),
    )
    op.create_index('ix_pushed_requests_expires_at', 'pushed_requests', ['expires_at'])
    op.create_table(
        'dpop_proof_jtis',
        sa.Column('proof_digest', sa.String(length=64), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('proof_digest'),
    )
    op.create_index('ix_dpop_proof_jtis_expires_at', 'dpop_proof_jtis', ['expires_at'])
    with op.batch_alter_table('authorization_codes') as batch_op:
        batch_op.add_column(sa.Column('dpop_jkt', sa.String(length=64), nullable=True))
    with op.batch_alter_table('refresh_tokens') as batch_op:
        batch_op.add_column(sa.Column('dpop_jkt', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('refresh_tokens') as batch_op:
        batch_op.drop_column('dpop_jkt')
    with op.batch_alter_table('authorization_codes') as batch_op:
        batch_op.drop_column('dpop_jkt')
    op.drop_index('ix_dpop_proof_jtis_expires_at', table_name='dpop_proof_jtis')
    op.drop_table('dpop_proof_jtis')
    op.drop_index('ix_pushed_requests_expires_at', table_name='pushed_requests')
    op.drop_table('pushed_requests')
    with op.batch_alter_table('clients') as batch_op:
        batch_op.drop_column('sector_identifier_uri')
        batch_op.drop_column('subject_type')
        batch_op.drop_column('require_pushed_authorization_requests')
