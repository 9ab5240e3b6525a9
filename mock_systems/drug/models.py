"""The drug system's 信息采集 tables: the modules each agent is granted (子用户授权) and the
出口药品档案 with their versions and the log of who did what.

They register on the common Base, so the common create_tables creates them once this module
is imported (mock_systems/drug/__init__.py imports it).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mock_systems.common.db import Base
from shared.sqltypes import UTCDateTime

DRAFT, SUBMITTED, DELETED = "draft", "submitted", "deleted"
STATE_LABELS = {DRAFT: "草稿", SUBMITTED: "已提交", DELETED: "已删除"}


class AgentGrant(Base):
    """One agent's granted modules (modules.MODULES ids), one row per agent: 保存 replaces the
    whole set in one statement, so a grant is never half-replaced."""

    __tablename__ = "drug_agent_grants"

    account_id: Mapped[int] = mapped_column(ForeignKey("local_accounts.id"), primary_key=True)
    enterprise_code: Mapped[str] = mapped_column(String(32))  # the enterprise that granted them
    modules: Mapped[list] = mapped_column(JSON)
    granted_by_name: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ExportDossier(Base):
    """An 出口药品档案 of one enterprise. ``revision`` grows with every change: each transition is
    a conditional UPDATE on (state, revision), so of two concurrent actions one wins."""

    __tablename__ = "drug_export_dossiers"
    __table_args__ = (CheckConstraint("state IN ('draft', 'submitted', 'deleted')", name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_code: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(Integer)
    current_version: Mapped[int] = mapped_column(Integer)  # the version shown (ExportDossierVersion)
    created_by_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ExportDossierVersion(Base):
    """The content of one version: version 1 is the draft (edited in place until submitted);
    each 变更 adds the next one, and earlier versions are never touched again."""

    __tablename__ = "drug_export_dossier_versions"
    __table_args__ = (Index("uq_drug_export_dossier_versions_dossier_version", "dossier_id", "version_no",
                            unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("drug_export_dossiers.id"))
    version_no: Mapped[int] = mapped_column(Integer)
    generic_name: Mapped[str] = mapped_column(String(100))
    english_name: Mapped[str] = mapped_column(String(200), default="")
    dosage_form: Mapped[str] = mapped_column(String(50))
    strength: Mapped[str] = mapped_column(String(100))
    approval_number: Mapped[str] = mapped_column(String(50))
    holder: Mapped[str] = mapped_column(String(200), default="")
    manufacturer: Mapped[str] = mapped_column(String(200))
    manufacturing_address: Mapped[str] = mapped_column(String(300), default="")
    destination: Mapped[str] = mapped_column(String(100))
    package_spec: Mapped[str] = mapped_column(String(100))
    remarks: Mapped[str] = mapped_column(String(500), default="")
    change_reason: Mapped[str] = mapped_column(String(500), default="")
    recorded_by_name: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class DossierEvent(Base):
    """Who did what to a dossier, when: 填报, 修改, 提交, 删除, 变更."""

    __tablename__ = "drug_export_dossier_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("drug_export_dossiers.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    version_no: Mapped[int] = mapped_column(Integer)
    actor_account_id: Mapped[int] = mapped_column(ForeignKey("local_accounts.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class EnterpriseInfo(Base):
    """补充企业信息 (seed 002 section 2.2 (6)): what an enterprise supplies on its first entry to
    信息采集, before any business. One row per enterprise; the primary key makes the first of
    two concurrent submissions the one kept."""

    __tablename__ = "drug_enterprise_info"

    enterprise_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(200))  # 注册地址
    contact_name: Mapped[str] = mapped_column(String(100))  # 联系人
    contact_phone: Mapped[str] = mapped_column(String(32))  # 联系电话
    filled_by_name: Mapped[str] = mapped_column(String(100))
    filled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
