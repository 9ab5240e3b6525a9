"""binding rules as catalogue data: the slot systems share to exclude each other, and the link
kinds a user may undo (不可解除 for the others)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clients') as batch_op:
        batch_op.add_column(sa.Column('binding_slot', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('unbindable_kinds', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clients') as batch_op:
        batch_op.drop_column('unbindable_kinds')
        batch_op.drop_column('binding_slot')
