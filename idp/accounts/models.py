"""Portal accounts: legal persons (法人), personal accounts (个人); agents are personal accounts
that a legal person authorized (the agents issue adds that link)."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.db.base import Base, UTCDateTime


class AccountType(str, enum.Enum):
    legal_person = "legal_person"
    personal = "personal"


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The OpenID subject: random, stable, never reused (accounts are never deleted).
    subject: Mapped[str] = mapped_column(String(64), unique=True)
    account_type: Mapped[AccountType] = mapped_column(Enum(AccountType, native_enum=False, length=20))
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    id_type: Mapped[str | None] = mapped_column(String(32))
    id_number: Mapped[str | None] = mapped_column(String(32), index=True)
    realname_level: Mapped[int] = mapped_column(Integer, default=0)
    # Legal persons only: the enterprise they are.
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
