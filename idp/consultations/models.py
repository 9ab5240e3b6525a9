"""One question filed with the help desk (咨询)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime
from idp.personal_data.columns import BlindIndex, Sealed

OPEN = "open"
ANSWERED = "answered"
CLOSED = "closed"
STATUSES = (OPEN, ANSWERED, CLOSED)
PORTAL = "portal"  # ``system`` of a question about the portal itself (政务服务门户)


class Consultation(Base):
    """``status`` moves open → answered → closed (or open → closed); each move is one conditional
    UPDATE in idp.consultations.transitions. ``lookup_key`` is the keyed digest (a blind index) of the asker's name,
    mobile and e-mail as the lookup without login asks for them (idp.consultations.lookup_key)."""

    __tablename__ = "consultations"
    __table_args__ = (
        # the help desk's queue: open questions, earliest deadline (so the overdue ones) first
        Index("ix_consultations_status_due_at", "status", "due_at"),
        # 我的互动 → 在线办事反馈: one account's questions, newest first
        Index("ix_consultations_account_id_submitted_at", "account_id", "submitted_at"),
        # the lookup without login: one asker's questions of the last three months
        Index("ix_consultations_lookup_key_submitted_at", "lookup_key", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # shown to the user, e.g. ZX20261204123456
    system: Mapped[str] = mapped_column(String(64))  # a business system's client_id, or PORTAL
    category: Mapped[str] = mapped_column(String(16))  # a key of CATEGORIES
    account_type: Mapped[str] = mapped_column(String(16))  # a key of ACCOUNT_TYPES
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)  # at most DESCRIPTION_MAX characters
    name: Mapped[str] = mapped_column(String(50))
    id_type: Mapped[str] = mapped_column(String(32))
    # the asker's contacts, encrypted (idp.personal_data), found only through lookup_key
    id_number: Mapped[str] = mapped_column(Sealed("consultations.id_number"))
    mobile: Mapped[str] = mapped_column(Sealed("consultations.mobile"))
    email: Mapped[str] = mapped_column(Sealed("consultations.email"))
    lookup_key: Mapped[str] = mapped_column(BlindIndex())
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))  # set when filed logged in
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    assignee: Mapped[str | None] = mapped_column(String(64))  # a staff username
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(64))  # a staff username
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
