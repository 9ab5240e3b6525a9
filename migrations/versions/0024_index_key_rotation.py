"""The blind index key can rotate: a companion digest column (<column>_next) beside each of the
accounts' blind index columns, written with the new index key while a rotation runs
(docs/security.md, "Index key"); unique where the main column is unique.

Revision ID: 0024
Revises: 0017
Create Date: 2026-12-04 13:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0017'
branch_labels = None
depends_on = None

INDEXED = ('mobile_index', 'email_index', 'id_number_index')
UNIQUE = ('personal_id_number', 'personal_mobile')


def upgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        for column in INDEXED:
            batch.add_column(sa.Column(f'{column}_next', sa.String(length=64), nullable=True))
            batch.create_index(f'ix_accounts_{column}_next', [f'{column}_next'], unique=False)
        for column in UNIQUE:
            batch.add_column(sa.Column(f'{column}_next', sa.String(length=64), nullable=True))
            batch.create_unique_constraint(f'uq_accounts_{column}_next', [f'{column}_next'])


def downgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        for column in UNIQUE:
            batch.drop_constraint(f'uq_accounts_{column}_next', type_='unique')
            batch.drop_column(f'{column}_next')
        for column in INDEXED:
            batch.drop_index(f'ix_accounts_{column}_next')
            batch.drop_column(f'{column}_next')
