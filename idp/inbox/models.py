"""One note in an account's 我的消息."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime


class AccountMessage(Base):
    """``kind`` names what the note is about (e.g. ``password_changed``), so later kinds can be
    filtered or shown differently; ``read_at`` stays NULL until the owner reads it (the unread
    count of the full inbox counts those)."""

    __tablename__ = "account_messages"
    # The page lists one account's notes newest first; the unread count filters the same rows.
    __table_args__ = (Index("ix_account_messages_account_id_created_at", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
