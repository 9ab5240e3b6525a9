"""The audit log: append-only. The migrations install triggers that refuse every UPDATE, and every
DELETE of a row younger than the retention floor (180 days), so only the purge of old rows passes."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime


def _newest_first(column: str) -> Index:
    """An index for one filter that also yields its rows in the search's (at, id) order, so a
    keyset page is an index range scan without a sort."""
    return Index(f"ix_audit_events_{column}_at_id", column, "at", "id")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at_id", "at", "id"),
        # varchar_pattern_ops: a prefix search (``binding.%``) uses it on PostgreSQL whatever the collation.
        Index("ix_audit_events_event_at_id", "event", "at", "id", postgresql_ops={"event": "varchar_pattern_ops"}),
        _newest_first("actor"),
        _newest_first("subject"),
        _newest_first("client_id"),
        _newest_first("source_ip"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    event: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # success | failure | warning
    actor: Mapped[str | None] = mapped_column(String(128))  # account subject, client id, staff:<name>, system:<id>
    # Whom the event concerns (an account's subject, usually): the actor unless the caller names another.
    subject: Mapped[str | None] = mapped_column(String(128))
    client_id: Mapped[str | None] = mapped_column(String(64))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
