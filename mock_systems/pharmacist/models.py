"""The licensed-pharmacist system's own tables: the pharmacist register (执业药师资格 records),
the 执业药师注册申请 of the accounts, and the provincial administrators with their sessions.

They sit on the common ``Base``: importing this module (mock_systems.pharmacist does) registers
them, so the common start-up (schema.create_tables) creates them with the rest.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mock_systems.common.db import Base
from mock_systems.common.staff_tables import StaffMemberColumns, StaffSessionColumns
from shared.sqltypes import UTCDateTime


class QualificationRecord(Base):
    """One 执业药师资格: who holds it (姓名, 身份证号 — 15 digits in older records, until the
    provincial administrator upgrades it), the certificate, and the local account it belongs to
    once the holder has one (an older account, or one created by binding: unique)."""

    __tablename__ = "pharmacist_register"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)  # 15 or 18 characters
    certificate_number: Mapped[str] = mapped_column(String(32), unique=True)  # 资格证书编号
    category: Mapped[str] = mapped_column(String(20))  # 专业类别: 药学 / 中药学 / 药学与中药学
    year: Mapped[int] = mapped_column(Integer)  # 取得年份
    account_id: Mapped[int | None] = mapped_column(ForeignKey("local_accounts.id"), unique=True)
    # The 15-digit number an administrator upgraded, who did it and when (None: never upgraded).
    upgraded_from: Mapped[str | None] = mapped_column(String(15))
    upgraded_by: Mapped[str | None] = mapped_column(String(64))
    upgraded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ApplicationState(str, enum.Enum):
    pending = "pending"  # 待审核
    registered = "registered"  # 已注册
    returned = "returned"  # 退回: the pharmacist may correct it and submit again

    @property
    def label(self) -> str:
        return {"pending": "待审核", "registered": "已注册", "returned": "退回"}[self.value]


class Application(Base):
    """执业药师注册申请 (首次注册): one per account (the unique constraint settles two first
    submissions at once); ``revision`` + 1 at each change, so a decision names what it read."""

    __tablename__ = "pharmacist_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("local_accounts.id"), unique=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("pharmacist_register.id"))
    employer: Mapped[str] = mapped_column(String(100))  # 执业单位
    practice_category: Mapped[str] = mapped_column(String(20))  # 执业类别
    practice_scope: Mapped[str] = mapped_column(String(20))  # 执业范围
    state: Mapped[ApplicationState] = mapped_column(Enum(
        ApplicationState, native_enum=False, length=16, create_constraint=True, name="application_state"),
        index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))
    return_reason: Mapped[str | None] = mapped_column(String(500))


class Administrator(StaffMemberColumns, Base):
    """A provincial administrator (省局管理员) of the system: its own accounts, never portal accounts."""

    __tablename__ = "pharmacist_admins"


class AdminSession(StaffSessionColumns, Base):
    """An administrator's session behind its own cookie."""

    __tablename__ = "pharmacist_admin_sessions"

    admin_id: Mapped[int] = mapped_column(ForeignKey("pharmacist_admins.id"))
