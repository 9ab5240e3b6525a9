"""The pharmacist register (执业药师资格 records) and how a portal identity is matched to it.

The portal sends ID numbers in their 18-character form (docs/claims.md); older records here still
hold 15-digit numbers, which match through the standard conversion (GB 11643, shared.identity).
A record whose 15-digit number converts to another number than the person's own (it changed
when the second-generation card was issued) matches nothing until the provincial administrator
verifies it and upgrades it to 18 digits (admin_register.py; seed 004, 七（二）).

The seed is synthetic: the names and numbers of the portal's synthetic identity register where
the demo needs them (idp/verification/data/persons.yaml), never a real person's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.accounts import find_account
from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.pharmacist.models import QualificationRecord
from shared.identity import InvalidIdentifier, validate_citizen_id
from shared.refusals import Refusal


@dataclass(frozen=True)
class Seed:
    name: str
    id_number: str
    certificate_number: str
    category: str
    year: int
    account: str | None = None  # an older local account of the system (the profile's demo accounts)


SEED = (
    Seed("张三", "110000198506120133", "ZYYS2012110001", "药学", 2012),  # the portal's demo account (三级)
    Seed("王芳", "31000019920229024X", "ZYYS2019310002", "药学", 2019),
    Seed("吴丽", "110000650101002", "ZYYS1999110003", "中药学", 1999),  # 15 digits: converts to her number
    Seed("周杰", "310000720315122", "ZYYS2001310004", "药学与中药学", 2001),  # 15 digits: an older number
    Seed("陈明", "51000019880808059X", "ZYYS2015510005", "药学", 2015, "pharmacist_demo"),
    Seed("孙伟", "410000800515002", "ZYYS2003410006", "中药学", 2003, "pharmacist_demo2"),  # 15 digits
    Seed("刘洋", "120000197911230034", "ZYYS2008120007", "药学", 2008),
    Seed("黄敏", "440000198706120046", "ZYYS2014440008", "中药学", 2014),
    Seed("郑晓", "330000199307080058", "ZYYS2021330009", "药学", 2021),
)


def canonical(id_number: str) -> str | None:
    """The 18-character form of a register number (15 digits converted); None when invalid."""
    try:
        return validate_citizen_id(id_number)
    except InvalidIdentifier:
        return None


def is_fifteen(record: QualificationRecord) -> bool:
    return len(record.id_number) == 15


async def matching(db: AsyncSession, portal_id: str, name: str | None = None) -> QualificationRecord | None:
    """The record of this 18-character ID number (and name, when given), 15-digit numbers
    compared in their converted form."""
    if not portal_id or len(portal_id) != 18:
        return None
    candidates = select(QualificationRecord).where(
        QualificationRecord.id_number.in_((portal_id, portal_id[:6] + portal_id[8:17])))
    if name is not None:
        candidates = candidates.where(QualificationRecord.name == name)
    for record in (await db.scalars(candidates)).all():
        if canonical(record.id_number) == portal_id:
            return record
    return None


async def record_of(db: AsyncSession, account_id: int) -> QualificationRecord | None:
    return await db.scalar(select(QualificationRecord).where(QualificationRecord.account_id == account_id))


async def seed_register(app, system: SystemContext) -> None:
    """At start-up, with the demo accounts: the synthetic register, each record once (by its
    certificate number; two instances seeding at once: the unique index keeps one)."""
    if not system.settings.seed_demo_accounts:
        return
    for seed in SEED:
        try:
            async with system.sessionmaker.begin() as db:
                known = select(QualificationRecord.id).where(
                    QualificationRecord.certificate_number == seed.certificate_number)
                if await db.scalar(known) is not None:
                    continue
                account = await find_account(db, seed.account) if seed.account else None
                db.add(QualificationRecord(name=seed.name, id_number=seed.id_number,
                                           certificate_number=seed.certificate_number, category=seed.category,
                                           year=seed.year, account_id=account.id if account else None))
        except IntegrityError:
            continue


async def upgrade_id_number(db: AsyncSession, record_id: int, old: str, new: str, *, by: str) -> str:
    """省局管理员 upgrades a record's 15-digit number ``old`` (the one the page showed) to the
    verified 18-digit ``new``: same birth date, a valid number, not another record's. A conditional
    UPDATE on the old number: of two administrators at once, one wins. Returns the new number."""
    new = validate_citizen_id(new)  # or its InvalidIdentifier refusal, in the portal's words
    if len(old) != 15 or len(new) != 18:
        raise Refusal("pharmacist.upgrade_not_fifteen", status_code=409)
    if await db.scalar(select(QualificationRecord.id).where(QualificationRecord.id_number == new)) is not None:
        raise Refusal("pharmacist.upgrade_exists", status_code=409)
    if new[6:8] + old[6:12] != new[6:14]:
        raise Refusal("pharmacist.upgrade_birth_date")
    try:
        result = await db.execute(update(QualificationRecord).where(
            QualificationRecord.id == record_id, QualificationRecord.id_number == old)
            .values(id_number=new, upgraded_from=old, upgraded_by=by, upgraded_at=utcnow()))
    except IntegrityError:  # another record took the number meanwhile
        raise Refusal("pharmacist.upgrade_exists", status_code=409) from None
    if cast(CursorResult, result).rowcount != 1:
        raise Refusal("pharmacist.upgrade_stale", status_code=409)
    return new
