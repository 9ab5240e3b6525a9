"""Who may bind and use the licensed-pharmacist system, checked by the system itself whatever
the portal did (seed 004): a personal account in its own capacity (个人登录), at 三级 real-name;
to create an account (直接授权创建新的账号) the portal's verified name and ID number must match a
register record without an account; to bind an existing account (已有用户的登录授权) the
person must have one here, and its record's ID number must be the portal's.

The binding hooks are common/extension.BindingRules; ``level_gate`` is the access gate that
checks the claims of every login through the portal again (a level lowered since, or a
legal-person login, is refused).
"""
from __future__ import annotations

from typing import cast

from fastapi import Request
from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from mock_systems.common.context import SystemContext
from mock_systems.common.extension import BindingRules
from mock_systems.common.models import LocalAccount
from mock_systems.common.sessions import load_session
from mock_systems.pharmacist.models import QualificationRecord
from mock_systems.pharmacist.pages import refused
from mock_systems.pharmacist.register import matching, record_of
from shared.binding import Intent
from shared.refusals import Refusal

REQUIRED_LEVEL = 3


def claims_refusal(claims: dict) -> str | None:
    """Why these claims may not bind or use the system (a message id), or None."""
    if claims.get("account_type") != "personal":
        return "pharmacist.personal_only"
    level = claims.get("realname_level")
    if not isinstance(level, int) or isinstance(level, bool) or level < REQUIRED_LEVEL:
        return "pharmacist.level_required"
    return None


def _claims(intent: Intent) -> dict:
    return intent.claims if isinstance(intent.claims, dict) else {}


def _text(claims: dict, name: str) -> str:
    value = claims.get(name)
    return value if isinstance(value, str) else ""


async def admit(system: SystemContext, intent: Intent) -> Response | None:
    claims = _claims(intent)
    if (reason := claims_refusal(claims)) is not None:
        return refused(system, reason)
    async with system.sessionmaker() as db:
        if intent.mode == "create":
            record = await matching(db, _text(claims, "id_number"), _text(claims, "name"))
            if record is None:
                return refused(system, "pharmacist.no_record", guidance=True)
            if record.account_id is not None:
                return refused(system, "pharmacist.has_account", 409)
            return None
        record = await matching(db, _text(claims, "id_number"))
    if record is None or record.account_id is None:
        return refused(system, "pharmacist.no_account", 409)
    return None


async def check_existing(system: SystemContext, intent: Intent, account: LocalAccount) -> str | None:
    """The existing account's record must hold the portal's ID number (15 digits converted)."""
    async with system.sessionmaker() as db:
        record = await record_of(db, account.id)
        portal = await matching(db, _text(_claims(intent), "id_number"))
    if record is None or portal is None or portal.id != record.id:
        return "pharmacist.id_mismatch"
    return None


async def on_created(db: AsyncSession, system: SystemContext, intent: Intent, account: LocalAccount) -> None:
    """The new account takes its register record, if no account holds it yet (conditional UPDATE:
    of two bindings at once, one takes it; the other is rolled back whole)."""
    claims = _claims(intent)
    record = await matching(db, _text(claims, "id_number"), _text(claims, "name"))
    if record is not None:
        result = await db.execute(update(QualificationRecord).where(
            QualificationRecord.id == record.id, QualificationRecord.account_id.is_(None))
            .values(account_id=account.id))
    if record is None or cast(CursorResult, result).rowcount != 1:
        raise Refusal("pharmacist.has_account", status_code=409, detail="the record has an account")


RULES = BindingRules(admit=admit, check_existing=check_existing, on_created=on_created)


async def level_gate(request: Request, system: SystemContext, account: LocalAccount) -> Response | None:
    """Every page of a portal login: the claims of this login must still be 个人登录 at 三级.
    The system's own older accounts logging in locally pass."""
    async with system.sessionmaker.begin() as db:
        session = await load_session(db, system, request)
    if session is None or session.login_method != "portal":
        return None
    reason = claims_refusal(session.portal_claims or {})
    return refused(system, reason) if reason is not None else None
