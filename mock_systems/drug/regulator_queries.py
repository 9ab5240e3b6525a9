"""What a regulator reads: the submitted 出口药品档案 of the enterprises its jurisdiction covers
(jurisdiction.py), searched by enterprise, status and date of submission. Every query carries
the jurisdiction's condition: a dossier outside it is never found, not even by its id. Drafts
(never submitted) are the enterprise's own work and are never shown."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.drug.jurisdiction import covered_by
from mock_systems.drug.models import SUBMITTED, EnterpriseInfo, ExportDossier, ExportDossierVersion

BEIJING = dt.timezone(dt.timedelta(hours=8))
# 状态 as a regulator searches it: submitted once, or changed (变更) since.
STATUSES = {"submitted": "已提交", "changed": "已变更"}
LIMIT = 200


@dataclass(frozen=True)
class Search:
    enterprise: str = ""  # part of the enterprise's name or of its 统一社会信用代码
    status: str = ""  # a key of STATUSES, or "" for both
    submitted_from: dt.date | None = None  # Beijing dates, both included
    submitted_to: dt.date | None = None

    @classmethod
    def parse(cls, query) -> Search:
        def day(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(str(query.get(name) or ""))
            except ValueError:
                return None  # an unreadable date searches as none given
        status = str(query.get("status") or "")
        return cls(enterprise=str(query.get("enterprise") or "").strip()[:100],
                   status=status if status in STATUSES else "", submitted_from=day("from"), submitted_to=day("to"))


def in_jurisdiction(jurisdiction: str):
    return (covered_by(ExportDossier.enterprise_code, jurisdiction), ExportDossier.state == SUBMITTED)


async def search_dossiers(db: AsyncSession, jurisdiction: str, search: Search) -> list[tuple]:
    """(dossier, current version, enterprise name or None), newest submission first."""
    query = (select(ExportDossier, ExportDossierVersion, EnterpriseInfo.enterprise_name)
             .join(ExportDossierVersion, (ExportDossierVersion.dossier_id == ExportDossier.id)
                   & (ExportDossierVersion.version_no == ExportDossier.current_version))
             .outerjoin(EnterpriseInfo, EnterpriseInfo.enterprise_code == ExportDossier.enterprise_code)
             .where(*in_jurisdiction(jurisdiction)))
    if search.enterprise:
        pattern = "%" + search.enterprise.replace("\\", "").replace("%", "").replace("_", "") + "%"
        query = query.where(or_(EnterpriseInfo.enterprise_name.like(pattern),
                                ExportDossier.enterprise_code.like(pattern)))
    if search.status == "submitted":
        query = query.where(ExportDossier.current_version == 1)
    elif search.status == "changed":
        query = query.where(ExportDossier.current_version > 1)
    if search.submitted_from is not None:
        start = dt.datetime.combine(search.submitted_from, dt.time(), BEIJING)
        query = query.where(ExportDossier.submitted_at >= start)
    if search.submitted_to is not None:
        end = dt.datetime.combine(search.submitted_to + dt.timedelta(days=1), dt.time(), BEIJING)
        query = query.where(ExportDossier.submitted_at < end)
    rows = await db.execute(query.order_by(ExportDossier.submitted_at.desc(), ExportDossier.id.desc()).limit(LIMIT))
    return [tuple(row) for row in rows.all()]


async def find_in_jurisdiction(db: AsyncSession, jurisdiction: str, dossier_id: int) -> ExportDossier | None:
    return await db.scalar(select(ExportDossier).where(ExportDossier.id == dossier_id,
                                                       *in_jurisdiction(jurisdiction)))


async def enterprise_name(db: AsyncSession, enterprise_code: str) -> str | None:
    return await db.scalar(select(EnterpriseInfo.enterprise_name)
                           .where(EnterpriseInfo.enterprise_code == enterprise_code))
