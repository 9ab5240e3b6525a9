"""upstream_links.id_token: the upstream's last ID token of the identity, the id_token_hint of the
logout sent upstream when the user logs out of the portal

A revision of its own: 0021 had landed (and may have run) without it.

Revision ID: 0021b
Revises: 0022
Create Date: 2026-12-04 12:55:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0021b'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('upstream_links') as batch:
        batch.add_column(sa.Column('id_token', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('upstream_links') as batch:
        batch.drop_column('id_token')
