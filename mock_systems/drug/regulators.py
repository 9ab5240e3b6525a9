"""Regulator accounts of the drug system: opened by a provincial administrator (a local account
with a password the regulator gives once, when binding from the supervision portal), and the
出口药品档案信息采集模块查阅权限 granted or withdrawn for a jurisdiction within that province.
Bad input is refused before anything is written; the username's unique constraint settles two
administrators opening the same name at once."""
from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.accounts import create_account, find_account, normalise_username
from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.models import LocalAccount
from mock_systems.drug.jurisdiction import within
from mock_systems.drug.regulator_models import DrugAdmin, RegulatorAccount
from shared.identity import InvalidIdentifier
from shared.passwords import validate_password
from shared.refusals import Refusal

PORTAL_ACCOUNT_TYPE = "official"  # the supervision portal's account_type claim (docs/claims.md)
USERNAME = re.compile(r"[a-z][a-z0-9_]{3,31}")


def checked_jurisdiction(admin: DrugAdmin, jurisdiction: str) -> str:
    jurisdiction = jurisdiction.strip()
    if not within(jurisdiction, admin.province):
        raise Refusal("drug.regulators.jurisdiction_invalid", province=admin.province)
    return jurisdiction


async def open_regulator(system: SystemContext, admin: DrugAdmin, *, username: str, name: str, unit: str,
                         password: str, jurisdiction: str | None) -> RegulatorAccount:
    """A regulator's account; with ``jurisdiction``, the 查阅权限 granted at once."""
    username, name, unit = normalise_username(username), name.strip(), unit.strip()
    if not username or not name or not unit:
        raise Refusal("drug.regulators.required")
    if not USERNAME.fullmatch(username):
        raise Refusal("drug.regulators.username_invalid")
    granted = checked_jurisdiction(admin, jurisdiction) if jurisdiction is not None else None
    try:
        validate_password(password, (username, name))
    except InvalidIdentifier as exc:
        raise Refusal(exc.message_id) from None
    now = utcnow()
    try:
        async with system.sessionmaker.begin() as db:
            if await find_account(db, username) is not None:
                raise Refusal("drug.regulators.username_taken", username=username)
            account = await create_account(db, system, username=username, password=password, display_name=name,
                                           organisation=unit, portal_account_type=PORTAL_ACCOUNT_TYPE)
            regulator = RegulatorAccount(local_account_id=account.id, unit=unit, province=admin.province,
                                         dossier_jurisdiction=granted, opened_by_name=admin.display_name,
                                         opened_at=now, granted_at=now if granted else None)
            db.add(regulator)
    except IntegrityError:
        raise Refusal("drug.regulators.username_taken", username=username) from None
    return regulator


async def set_permission(system: SystemContext, admin: DrugAdmin, account_id: int, jurisdiction: str) -> bool:
    """Grant (or change) the 查阅权限 for ``jurisdiction``, or withdraw it (empty); only for a
    regulator of the administrator's province. False when there is no such regulator."""
    granted = checked_jurisdiction(admin, jurisdiction) if jurisdiction.strip() else None
    async with system.sessionmaker.begin() as db:
        result = await db.execute(
            update(RegulatorAccount)
            .where(RegulatorAccount.local_account_id == account_id, RegulatorAccount.province == admin.province)
            .values(dossier_jurisdiction=granted, granted_at=utcnow() if granted else None)
            .returning(RegulatorAccount.local_account_id))
        return result.first() is not None


async def regulator_of(db: AsyncSession, account_id: int) -> RegulatorAccount | None:
    return await db.get(RegulatorAccount, account_id)


async def regulators_of_province(db: AsyncSession, province: str) -> list[tuple[RegulatorAccount, LocalAccount]]:
    return [(regulator, account) for regulator, account in (await db.execute(
        select(RegulatorAccount, LocalAccount).join(LocalAccount, LocalAccount.id == RegulatorAccount.local_account_id)
        .where(RegulatorAccount.province == province).order_by(RegulatorAccount.opened_at))).all()]
