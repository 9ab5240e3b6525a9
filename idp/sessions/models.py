"""Server-side login sessions behind an opaque cookie, and which clients took part in each."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime


class UserSession(Base):
    __tablename__ = "user_sessions"

    # SHA-256 of the cookie value: a stolen database does not yield live cookies.
    id_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)  # the public session id in tokens
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # Set when an agent acts for an enterprise (法人登录): fixed for the session's life.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    amr: Mapped[list] = mapped_column(JSON, default=list)
    acr: Mapped[str] = mapped_column(String(64))
    csrf_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    source_ip: Mapped[str | None] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(64))  # idp.sessions.devices, for 登录设备


class SessionClient(Base):
    """A client that received a code in a session: it gets a back-channel logout when it ends."""

    __tablename__ = "session_clients"

    sid: Mapped[str] = mapped_column(ForeignKey("user_sessions.sid"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"), primary_key=True)
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
