"""session devices: the short device description of each login session (登录设备)

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-04 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_sessions') as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_sessions') as batch_op:
        batch_op.drop_column('device')
