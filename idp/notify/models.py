"""Messages kept by the development sink (never used in production mode)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime
from idp.personal_data.columns import Sealed


class OutboundMessage(Base):
    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(8))  # sms | email | ctid
    recipient: Mapped[str] = mapped_column(Sealed("outbound_messages.recipient"))  # encrypted (idp.personal_data)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class QueuedMessage(Base):
    """An SMS or e-mail to send (the message outbox, idp.notify.outbox): written in the
    transaction that decides to send it, delivered after the commit and retried until sent.

    ``subject``, ``body`` and ``params`` carry a code while it is live: they are cleared once the
    message is delivered or given up, so a copy of the database holds no usable code."""

    __tablename__ = "message_outbox"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # a code's message: the code's id
    channel: Mapped[str] = mapped_column(String(8))  # sms | email | ctid
    recipient: Mapped[str] = mapped_column(Sealed("message_outbox.recipient"))  # encrypted (idp.personal_data)
    kind: Mapped[str] = mapped_column(String(16))  # the SMS template: code | notice
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict | None] = mapped_column(JSON)  # the SMS template's parameters
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # not sent after this (a code's lifetime)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    abandoned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
