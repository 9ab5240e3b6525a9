"""Reading an enterprise's 出口药品档案: the list, one dossier with a version, its history.
Every query names the enterprise: another enterprise's dossier is never found."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.drug.models import DELETED, DossierEvent, ExportDossier, ExportDossierVersion


async def list_dossiers(db: AsyncSession, enterprise_code: str) -> list[tuple[ExportDossier, ExportDossierVersion]]:
    """The enterprise's dossiers (not deleted), newest first, each with its current version."""
    rows = await db.execute(
        select(ExportDossier, ExportDossierVersion)
        .join(ExportDossierVersion, (ExportDossierVersion.dossier_id == ExportDossier.id)
              & (ExportDossierVersion.version_no == ExportDossier.current_version))
        .where(ExportDossier.enterprise_code == enterprise_code, ExportDossier.state != DELETED)
        .order_by(ExportDossier.id.desc()))
    return [(dossier, version) for dossier, version in rows.all()]


async def find_dossier(db: AsyncSession, enterprise_code: str, dossier_id: int) -> ExportDossier | None:
    return await db.scalar(select(ExportDossier).where(
        ExportDossier.id == dossier_id, ExportDossier.enterprise_code == enterprise_code,
        ExportDossier.state != DELETED))


async def find_version(db: AsyncSession, dossier: ExportDossier, version_no: int | None = None
                       ) -> ExportDossierVersion | None:
    """A version of the dossier (its current one by default)."""
    return await db.scalar(select(ExportDossierVersion).where(
        ExportDossierVersion.dossier_id == dossier.id,
        ExportDossierVersion.version_no == (version_no or dossier.current_version)))


async def versions_of(db: AsyncSession, dossier: ExportDossier) -> list[ExportDossierVersion]:
    return list(await db.scalars(select(ExportDossierVersion).where(ExportDossierVersion.dossier_id == dossier.id)
                                 .order_by(ExportDossierVersion.version_no)))


async def events_of(db: AsyncSession, dossier: ExportDossier) -> list[DossierEvent]:
    return list(await db.scalars(select(DossierEvent).where(DossierEvent.dossier_id == dossier.id)
                                 .order_by(DossierEvent.id)))
