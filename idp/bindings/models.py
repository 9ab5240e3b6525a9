"""The portal's half of a binding (docs/binding-protocol.md) and its outbox of calls to systems."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime


class Binding(Base):
    """One attempt to bind a portal account to a business system, and its life afterwards.

    ``slot`` is the client id (``classification|combination`` for that pair); the unique
    index on (account_id, slot) reserves it when the pending row is inserted. Ended and failed
    bindings set it to NULL, so they no longer block a new one.
    """

    __tablename__ = "bindings"
    __table_args__ = (UniqueConstraint("account_id", "slot", name="uq_bindings_account_slot"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random token
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # An agent's binding for an enterprise: the slot then ends in "@<agency id>", so the agent's
    # own slots and those of each enterprise it acts for never collide. The legal person makes
    # it (actor_account_id) and its browser is the one the system checks.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    actor_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    slot: Mapped[str | None] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))  # create | existing
    kind: Mapped[str | None] = mapped_column(String(16))  # created | existing, once confirmed
    state: Mapped[str] = mapped_column(String(16), index=True)
    local_account: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_reason: Mapped[str | None] = mapped_column(String(500))
    ended_by: Mapped[str | None] = mapped_column(String(128))


class BindingCall(Base):
    """A portal→system call that must eventually happen (status, cancel, unlink), retried with
    back-off and claimed with a conditional UPDATE like the back-channel logout outbox."""

    __tablename__ = "binding_calls"
    __table_args__ = (Index("ix_binding_calls_due", "done_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    binding_id: Mapped[str] = mapped_column(ForeignKey("bindings.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # status | cancel | unlink
    force: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
