"""The 出口药品档案's transitions, one function each, named after it:

    create_draft        (nothing)  → 草稿      填报
    edit_draft          草稿       → 草稿      修改 (version 1 in place)
    submit_dossier      草稿       → 已提交    提交
    delete_draft        草稿       → 已删除    删除 (提交后无法删除)
    change_dossier      已提交     → 已提交    变更 (a new version; the earlier ones stay)

Each checks the current state and the revision the user's page showed in one conditional UPDATE
(of two concurrent actions on one page, exactly one wins) and logs who did it (DossierEvent).
A refusal raises DossierRefused with the message saying why.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.db import utcnow
from mock_systems.drug.access import Actor
from mock_systems.drug.models import DELETED, DRAFT, SUBMITTED, DossierEvent, ExportDossier, ExportDossierVersion
from shared.refusals import Refusal


class DossierRefused(Refusal):
    """A dossier transition refused: 409 unless said otherwise (someone else acted first)."""

    status_code = 409


# For each transition: the state it starts from, and the refusal when the dossier is elsewhere.
WRONG_STATE = {"edit": "drug.dossier.edit_not_draft", "submit": "drug.dossier.submit_not_draft",
               "delete": "drug.dossier.delete_not_draft", "change": "drug.dossier.change_not_submitted"}


def _log(db: AsyncSession, actor: Actor, dossier_id: int, action: str, version_no: int) -> None:
    db.add(DossierEvent(dossier_id=dossier_id, action=action, version_no=version_no,
                        actor_account_id=actor.account_id, actor_name=actor.name, at=utcnow()))


async def _advance(db: AsyncSession, actor: Actor, dossier_id: int, revision: int, *, transition: str,
                   from_state: str, **values) -> ExportDossier:
    """The conditional UPDATE: only the enterprise's dossier, in ``from_state``, at ``revision``."""
    result = await db.execute(
        update(ExportDossier).where(ExportDossier.id == dossier_id,
                                    ExportDossier.enterprise_code == actor.enterprise_code,
                                    ExportDossier.state == from_state, ExportDossier.revision == revision)
        .values(revision=ExportDossier.revision + 1, updated_at=utcnow(), **values)
        .returning(ExportDossier))
    dossier = result.scalars().first()
    if dossier is None:
        raise await _why_not(db, actor, dossier_id, transition, from_state)
    return dossier


async def _why_not(db: AsyncSession, actor: Actor, dossier_id: int, transition: str,
                   from_state: str) -> DossierRefused:
    current = await db.scalar(select(ExportDossier).where(ExportDossier.id == dossier_id,
                                                          ExportDossier.enterprise_code == actor.enterprise_code))
    if current is None or current.state == DELETED:
        return DossierRefused("drug.dossier.not_found", status_code=404)
    if current.state != from_state:
        return DossierRefused(WRONG_STATE[transition])
    return DossierRefused("drug.dossier.stale")  # same state, but someone acted since the page was drawn


async def create_draft(db: AsyncSession, actor: Actor, values: dict[str, str]) -> ExportDossier:
    now = utcnow()
    dossier = ExportDossier(enterprise_code=actor.enterprise_code, state=DRAFT, revision=1, current_version=1,
                            created_by_name=actor.name, created_at=now, updated_at=now)
    db.add(dossier)
    await db.flush()
    db.add(ExportDossierVersion(dossier_id=dossier.id, version_no=1, recorded_by_name=actor.name,
                                recorded_at=now, **values))
    _log(db, actor, dossier.id, "填报", 1)
    return dossier


async def edit_draft(db: AsyncSession, actor: Actor, dossier_id: int, revision: int,
                     values: dict[str, str]) -> ExportDossier:
    dossier = await _advance(db, actor, dossier_id, revision, transition="edit", from_state=DRAFT)
    await db.execute(update(ExportDossierVersion).where(ExportDossierVersion.dossier_id == dossier_id,
                                                        ExportDossierVersion.version_no == 1)
                     .values(recorded_by_name=actor.name, recorded_at=utcnow(), **values))
    _log(db, actor, dossier_id, "修改", 1)
    return dossier


async def submit_dossier(db: AsyncSession, actor: Actor, dossier_id: int, revision: int) -> ExportDossier:
    dossier = await _advance(db, actor, dossier_id, revision, transition="submit", from_state=DRAFT,
                             state=SUBMITTED, submitted_at=utcnow())
    _log(db, actor, dossier_id, "提交", dossier.current_version)
    return dossier


async def delete_draft(db: AsyncSession, actor: Actor, dossier_id: int, revision: int) -> ExportDossier:
    """删除: a draft only; the row stays (state 已删除) with the log of who deleted it."""
    dossier = await _advance(db, actor, dossier_id, revision, transition="delete", from_state=DRAFT, state=DELETED)
    _log(db, actor, dossier_id, "删除", dossier.current_version)
    return dossier


async def change_dossier(db: AsyncSession, actor: Actor, dossier_id: int, revision: int, values: dict[str, str],
                         reason: str) -> ExportDossier:
    """变更: the submitted dossier's next version, with the reason; unchanged content is refused
    (the caller's transaction then rolls the UPDATE back)."""
    dossier = await _advance(db, actor, dossier_id, revision, transition="change", from_state=SUBMITTED,
                             current_version=ExportDossier.current_version + 1)
    before = await db.scalar(select(ExportDossierVersion).where(
        ExportDossierVersion.dossier_id == dossier_id, ExportDossierVersion.version_no == dossier.current_version - 1))
    if all(getattr(before, name) == value for name, value in values.items()):
        raise DossierRefused("drug.dossier.change_unchanged", status_code=400)
    db.add(ExportDossierVersion(dossier_id=dossier_id, version_no=dossier.current_version, change_reason=reason,
                                recorded_by_name=actor.name, recorded_at=utcnow(), **values))
    _log(db, actor, dossier_id, "变更", dossier.current_version)
    return dossier
