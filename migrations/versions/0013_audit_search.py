"""audit log search and retention: a subject column, (filter, at, id) indexes for keyset pages,
and triggers that let the purge delete rows older than the retention floor and nothing younger

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-04 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None

# The production minimum of IDP_AUDIT_RETENTION_DAYS (idp.audit.retention.FLOOR_DAYS), fixed here
# on purpose: the database's own guarantee must not follow a setting of the application.
FLOOR = "180 days"
YOUNG_ROW = "audit_events is append-only: rows younger than 180 days cannot be deleted"
FILTERS = ("actor", "subject", "client_id", "source_ip")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _drop_old_triggers(sqlite)
    op.add_column('audit_events', sa.Column('subject', sa.String(length=128), nullable=True))
    # Older rows: the subject a binding event carried in its details, else the actor (what record() does now).
    detail = "json_extract(details, '$.subject')" if sqlite else "details->>'subject'"
    op.execute(f"UPDATE audit_events SET subject = substr(COALESCE({detail}, actor), 1, 128)")
    op.drop_index('ix_audit_events_at', table_name='audit_events')
    op.drop_index('ix_audit_events_event', table_name='audit_events')
    op.create_index('ix_audit_events_at_id', 'audit_events', ['at', 'id'])
    op.create_index('ix_audit_events_event_at_id', 'audit_events', ['event', 'at', 'id'],
                    postgresql_ops={'event': 'varchar_pattern_ops'})
    for column in FILTERS:
        op.create_index(f'ix_audit_events_{column}_at_id', 'audit_events', [column, 'at', 'id'])
    if sqlite:
        op.execute("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
                   "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")
        # Only a text timestamp older than the floor may go ('YYYY-MM-DD HH:MM:SS…' compares as text;
        # anything else, a number or a malformed value, is kept).
        op.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                   f"WHEN NOT (typeof(OLD.at) = 'text' AND OLD.at < datetime('now', '-{FLOOR}')) "
                   f"BEGIN SELECT RAISE(ABORT, '{YOUNG_ROW}'); END")
    else:
        op.execute("CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR TRUNCATE "
                   "ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()")
        op.execute("CREATE FUNCTION audit_events_keep_young_rows() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN IF OLD.at < now() - interval '{FLOOR}' THEN RETURN OLD; END IF; "
                   f"RAISE EXCEPTION '{YOUNG_ROW}'; END $$")
        op.execute("CREATE TRIGGER audit_events_keep_young_rows BEFORE DELETE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION audit_events_keep_young_rows()")


def _drop_old_triggers(sqlite: bool) -> None:
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _drop_old_triggers(sqlite)
    if not sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_events_keep_young_rows ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_keep_young_rows()")
    for column in FILTERS:
        op.drop_index(f'ix_audit_events_{column}_at_id', table_name='audit_events')
    op.drop_index('ix_audit_events_event_at_id', table_name='audit_events')
    op.drop_index('ix_audit_events_at_id', table_name='audit_events')
    op.create_index('ix_audit_events_event', 'audit_events', ['event'])
    op.create_index('ix_audit_events_at', 'audit_events', ['at'])
    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.drop_column('subject')
    # As revision 0001 left them: no UPDATE, no DELETE at all.
    if sqlite:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                       "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")
    else:
        op.execute("CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                   "ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()")
