"""The columns of a business system's own staff (accounts that are never portal accounts) and of
their sessions, as mixins: each system keeps its own tables (their names, and the column naming
the member in a session) on the common ``Base``, and system_staff.py works on any of them.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.sqltypes import UTCDateTime


class StaffMemberColumns:
    """A staff member: username (stored lower-case), argon2id hash, the name the pages show."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class StaffSessionColumns:
    """A staff session behind the staff's own cookie (only the digest is stored); the system's
    table adds the column naming the member (a foreign key to its own staff table)."""

    id_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    csrf_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
