"""Staff accounts, their roles and their console sessions (tables of their own: a staff member
is never a portal account, and a portal session never opens the console)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime


class StaffAccount(Base):
    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    # The TOTP secret, encrypted with IDP_KEY_ENCRYPTION_KEY (idp.security.encryption). Set when
    # enrolment starts; it counts only once totp_enrolled_at is set, after one valid code.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_enrolled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The newest accepted time step: a code of this step or an older one is a replay. Moved
    # forward only by one conditional UPDATE (idp.staff.totp), so two racing uses of one code
    # cannot both pass.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Lockout, counted like the portal's (idp.accounts.lockout.count_failure).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    failed_window_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(64))  # "cli", "seed-demo" or a staff username
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class StaffRole(Base):
    """One role of a staff member (idp.staff.roles); the primary key makes a grant idempotent."""

    __tablename__ = "staff_roles"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class StaffSession(Base):
    """A console session behind the ``staff_session`` cookie, from the sign-in page on.

    ``stage`` says how far it got: ``login`` (the sign-in form was shown: it holds the form's CSRF
    secret), ``totp`` or ``enrol`` (the password was right; the second factor is due), ``active``
    (signed in). Each step is one conditional UPDATE from the stage it expects, with a fresh
    cookie value (against fixation)."""

    __tablename__ = "staff_sessions"

    # SHA-256 of the cookie value: a stolen database does not yield live cookies.
    id_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    csrf_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    signed_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    source_ip: Mapped[str | None] = mapped_column(String(64))
