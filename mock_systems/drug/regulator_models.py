"""The drug system's regulator side: its provincial administrators (省局管理员, the system's own
staff: mock_systems/common/system_staff.py) and the regulator accounts they open, with the
出口药品档案信息采集模块查阅权限 granted for a jurisdiction (regulators.py).

They register on the common Base, so the common create_tables creates them once this module
is imported (mock_systems/drug/__init__.py imports it).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mock_systems.common.db import Base
from mock_systems.common.staff_tables import StaffMemberColumns, StaffSessionColumns
from shared.sqltypes import UTCDateTime


class DrugAdmin(StaffMemberColumns, Base):
    """A provincial administrator: opens the regulator accounts of its province."""

    __tablename__ = "drug_admins"

    province: Mapped[str] = mapped_column(String(6), default="110000")  # its province's division code


class DrugAdminSession(StaffSessionColumns, Base):
    __tablename__ = "drug_admin_sessions"

    admin_id: Mapped[int] = mapped_column(ForeignKey("drug_admins.id"))


class RegulatorAccount(Base):
    """A local account opened for a regulator by its province's administrator: it may be bound
    from the supervision portal only (bind existing), never from the enterprises' portal.
    ``dossier_jurisdiction`` is the 查阅权限 of the export-dossier module: the province's or
    city's division code whose enterprises' dossiers it may read; None: no permission."""

    __tablename__ = "drug_regulators"

    local_account_id: Mapped[int] = mapped_column(ForeignKey("local_accounts.id"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(6))  # the opening administrator's province
    dossier_jurisdiction: Mapped[str | None] = mapped_column(String(6))
    opened_by_name: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    granted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
