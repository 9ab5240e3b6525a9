"""The stored self-service flow and the one-time codes it sends."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime


class Flow(Base):
    __tablename__ = "flows"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # registration_legal, registration_personal, recovery, …
    state: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # never passwords
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    browser_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class OneTimeCode(Base):
    """A 6-digit code sent by SMS or e-mail: stored as a keyed digest, single use, a few tries."""

    __tablename__ = "one_time_codes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))  # unlock, recovery, change_mobile, change_email
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    destination: Mapped[str] = mapped_column(String(254))
    code_digest: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    consumed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
