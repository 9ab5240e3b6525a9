"""personal data at rest: ID numbers, mobiles and e-mail addresses encrypted, found by blind indexes

Every stored ID number, mobile and e-mail address is encrypted with a data key (SM4-GCM unless
IDP_PERSONAL_DATA_CIPHER says AES-256-GCM), the data keys are stored wrapped by the key-encryption
key, and lookups move to keyed digest columns (HMAC-SM3): personal_id_number and personal_mobile
become digests (their unique constraints stay), new mobile_index, email_index and id_number_index.
The rows of an existing database are encrypted here; on SQLite the runner (idp.db.migrate) then
VACUUMs the file, so the freed pages holding the plaintext are gone (docs/security.md).

Revision ID: 0017
Revises: 0019
Create Date: 2026-12-04 12:50:00
"""
import sqlalchemy as sa
from alembic import op

from idp.db.base import UTCDateTime
from idp.personal_data.columns import as_is, lower, upper
from idp.personal_data.keys import ensure_ring, load_ring
from idp.settings import Settings

revision = '0017'
down_revision = '0019'
branch_labels = None
depends_on = None

# table → the encrypted columns (each labelled 'table.column', the additional authenticated data)
SEALED = {
    'accounts': ('mobile', 'email', 'id_number', 'id_number_original'),
    'consultations': ('id_number', 'mobile', 'email'),
    'one_time_codes': ('destination',),
    'message_outbox': ('recipient',),
    'outbound_messages': ('recipient',),
    'flows': ('data',),
    'upstream_links': ('id_token',),  # already text: its claims carry the ID number and mobile
}
KEYS = {'one_time_codes': 'id', 'message_outbox': 'id', 'flows': 'id'}
ACCOUNT_INDEXES = (('mobile_index', 'mobile', as_is), ('email_index', 'email', lower),
                   ('id_number_index', 'id_number', upper))
OLD_WIDTH = {('accounts', 'mobile'): 20, ('accounts', 'email'): 254, ('accounts', 'id_number'): 32,
             ('accounts', 'id_number_original'): 32, ('consultations', 'id_number'): 32,
             ('consultations', 'mobile'): 20, ('consultations', 'email'): 254,
             ('one_time_codes', 'destination'): 254, ('message_outbox', 'recipient'): 254,
             ('outbound_messages', 'recipient'): 254}


def _settings() -> Settings:
    return op.get_context().config.attributes.get('settings') or Settings()


def _table(name: str, *columns: str) -> sa.Table:
    return sa.table(name, *(sa.column(c, sa.Text()) for c in columns))


def _rows(name: str, *columns: str):
    key = KEYS.get(name, 'id')
    return op.get_bind().execute(sa.select(_table(name, key, *columns))).all()


def _update(name: str, key_value, values: dict) -> None:
    key = KEYS.get(name, 'id')
    table = _table(name, key, *values)
    op.get_bind().execute(sa.update(table).where(table.c[key] == key_value).values(values))


def _widen() -> None:
    for name, columns in SEALED.items():
        with op.batch_alter_table(name) as batch:
            if name == 'outbound_messages':
                batch.drop_index('ix_outbound_messages_recipient')
            for column in columns:
                if column == 'data':
                    batch.alter_column('data', type_=sa.Text(), existing_type=sa.JSON(),
                                       postgresql_using='data::text')
                elif (name, column) in OLD_WIDTH:
                    batch.alter_column(column, type_=sa.Text(), existing_type=sa.String(OLD_WIDTH[(name, column)]))
    with op.batch_alter_table('accounts') as batch:
        batch.drop_index('ix_accounts_mobile')
        batch.drop_index('ix_accounts_id_number')
        for column, _source, _normalise in ACCOUNT_INDEXES:
            batch.add_column(sa.Column(column, sa.String(length=64), nullable=True))
            batch.create_index(f'ix_accounts_{column}', [column], unique=False)
        batch.alter_column('personal_id_number', type_=sa.String(64), existing_type=sa.String(32))
        batch.alter_column('personal_mobile', type_=sa.String(64), existing_type=sa.String(20))


def _encrypt_rows() -> bool:
    """Every stored value sealed and indexed; True when there was any (the file needs a VACUUM)."""
    from idp.consultations.questions import lookup_key  # the normalised asker, as the code indexes it

    ring = None
    for name, columns in SEALED.items():
        extra = {'accounts': ('personal_id_number', 'personal_mobile'), 'consultations': ('name',)}.get(name, ())
        for row in _rows(name, *columns, *extra):
            if ring is None:
                ring = ensure_ring(op.get_bind(), _settings())
            values = {c: ring.seal(getattr(row, c), f'{name}.{c}') for c in columns if getattr(row, c) is not None}
            if name == 'accounts':
                for column, source, normalise in ACCOUNT_INDEXES:
                    if getattr(row, source) is not None:
                        values[column] = ring.index(normalise(getattr(row, source)))
                if row.personal_id_number is not None:
                    values['personal_id_number'] = ring.index(upper(row.personal_id_number))
                if row.personal_mobile is not None:
                    values['personal_mobile'] = ring.index(as_is(row.personal_mobile))
            if name == 'consultations':
                values['lookup_key'] = ring.index(lookup_key(row.name, row.mobile, row.email))
            if values:
                _update(name, getattr(row, KEYS.get(name, 'id')), values)
    return ring is not None


def upgrade() -> None:
    op.create_table(
        'personal_data_keys',
        sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('purpose', sa.String(length=8), nullable=False),
        sa.Column('algorithm', sa.String(length=16), nullable=False),
        sa.Column('wrapped', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('version', name=op.f('pk_personal_data_keys')),
    )
    _widen()
    if _encrypt_rows():
        op.get_context().config.attributes['vacuum'] = True


def downgrade() -> None:
    ring = load_ring(op.get_bind(), _settings())
    for name, columns in SEALED.items():
        extra = ('personal_id_number', 'personal_mobile') if name == 'accounts' else ()
        for row in _rows(name, *columns, *extra):
            assert ring is not None, 'encrypted rows but no data keys'
            values = {c: ring.open(getattr(row, c), f'{name}.{c}') for c in columns if getattr(row, c) is not None}
            if name == 'accounts':
                values['personal_id_number'] = values.get('id_number') if row.personal_id_number else None
                values['personal_mobile'] = values.get('mobile') if row.personal_mobile else None
            if name == 'consultations':
                values['lookup_key'] = ''  # the unkeyed digest of 0016 is not restored: old lookups find nothing
            if values:
                _update(name, getattr(row, KEYS.get(name, 'id')), values)
    with op.batch_alter_table('accounts') as batch:
        batch.alter_column('personal_mobile', type_=sa.String(20), existing_type=sa.String(64))
        batch.alter_column('personal_id_number', type_=sa.String(32), existing_type=sa.String(64))
        for column, _source, _normalise in reversed(ACCOUNT_INDEXES):
            batch.drop_index(f'ix_accounts_{column}')
            batch.drop_column(column)
        batch.create_index('ix_accounts_id_number', ['id_number'], unique=False)
        batch.create_index('ix_accounts_mobile', ['mobile'], unique=False)
    for name, columns in SEALED.items():
        with op.batch_alter_table(name) as batch:
            for column in columns:
                if column == 'data':
                    batch.alter_column('data', type_=sa.JSON(), existing_type=sa.Text(), postgresql_using='data::json')
                elif (name, column) in OLD_WIDTH:
                    batch.alter_column(column, type_=sa.String(OLD_WIDTH[(name, column)]), existing_type=sa.Text())
            if name == 'outbound_messages':
                batch.create_index('ix_outbound_messages_recipient', ['recipient'], unique=False)
    op.drop_table('personal_data_keys')
