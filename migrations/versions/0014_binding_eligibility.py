"""who may bind a system, as catalogue data: the portal account types allowed (个人登录 only for
the licensed-pharmacist system) and the real-name level required (三级)

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-04 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clients') as batch_op:
        batch_op.add_column(sa.Column('account_types', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('min_realname_level', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clients') as batch_op:
        batch_op.drop_column('min_realname_level')
        batch_op.drop_column('account_types')
