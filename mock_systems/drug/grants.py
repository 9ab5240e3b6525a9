"""子用户授权: the agents of an enterprise in this system and the modules each is granted.

An agent's grants are one row (AgentGrant); 保存 replaces it with one UPDATE, or one INSERT for
an agent granted nothing before (two first saves racing: the primary key refuses the second,
which runs again as an UPDATE). A grant counts only for the enterprise that made it.
"""
from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.models import LocalAccount, PortalLink
from mock_systems.drug.models import AgentGrant
from mock_systems.drug.modules import MODULES
from shared.refusals import Refusal


async def agents_of(db: AsyncSession, enterprise_code: str) -> list[LocalAccount]:
    """经办人列表: this system's accounts that the portal calls agents of this enterprise and that
    are still linked to a portal account (an agent the legal person removed loses its link)."""
    return list(await db.scalars(select(LocalAccount).join(PortalLink, PortalLink.local_account_id == LocalAccount.id)
                                 .where(LocalAccount.portal_account_type == "agent",
                                        LocalAccount.enterprise_code == enterprise_code,
                                        LocalAccount.enterprise_code != "").order_by(LocalAccount.id)))


async def granted_modules(db: AsyncSession, account_id: int, enterprise_code: str) -> list[str]:
    grant = await db.get(AgentGrant, account_id, populate_existing=True)
    if grant is None or grant.enterprise_code != enterprise_code:
        return []
    return [module for module in MODULES if module in grant.modules]


async def has_grant(db: AsyncSession, account_id: int, enterprise_code: str, module_id: str) -> bool:
    return module_id in await granted_modules(db, account_id, enterprise_code)


async def save_grants(system: SystemContext, *, enterprise_code: str, agent_id: int, modules: list[str],
                      granted_by_name: str) -> None:
    """保存: the agent's grants become exactly ``modules``. Refused (a Refusal) for an account
    that is not an agent of this enterprise, or a module that does not exist."""
    if any(module not in MODULES for module in modules):
        raise Refusal("drug.grants.unknown_module")
    chosen = [module for module in MODULES if module in modules]
    for _ in range(3):
        try:
            async with system.sessionmaker.begin() as db:
                await _replace(db, enterprise_code=enterprise_code, agent_id=agent_id, modules=chosen,
                               granted_by_name=granted_by_name)
                return
        except IntegrityError:
            continue  # a first save for this agent committed in between: now it is an UPDATE
    raise RuntimeError("grants could not be saved")  # pragma: no cover (three lost races in a row)


async def _replace(db: AsyncSession, *, enterprise_code: str, agent_id: int, modules: list[str],
                   granted_by_name: str) -> None:
    agent = await db.get(LocalAccount, agent_id)
    if agent is None or agent.portal_account_type != "agent" or not enterprise_code \
            or agent.enterprise_code != enterprise_code:
        raise Refusal("drug.grants.no_such_agent")
    values = {"enterprise_code": enterprise_code, "modules": modules, "granted_by_name": granted_by_name[:100],
              "granted_at": utcnow()}
    result = await db.execute(update(AgentGrant).where(AgentGrant.account_id == agent_id).values(**values))
    if cast(CursorResult, result).rowcount == 0:
        db.add(AgentGrant(account_id=agent_id, **values))
        await db.flush()
