"""Who a binding is for and who made it: the subject the system links (an account's own, or an
agency's for an agent) and the portal user whose browser completes it (docs/claims.md, Agents)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from idp.accounts.models import Account
from idp.bindings.models import Binding
from idp.clients.pairwise import subject_for
from idp.clients.registry import ClientInfo
from idp.principals.models import Agency
from idp.principals.principal import Principal, load_principal
from idp.security.tokens import constant_time_equal
from idp.settings import Settings


async def subject_of(db: AsyncSession, binding: Binding) -> str:
    """The linked subject, also after the agency ended (the system still needs it to unlink)."""
    return (await db.execute(select(func.coalesce(Agency.subject, Account.subject)).select_from(Account)
                             .outerjoin(Agency, Agency.id == binding.agency_id)
                             .where(Account.id == binding.account_id))).scalar_one()


async def principal_of(db: AsyncSession, binding: Binding) -> Principal | None:
    """The live principal, or None when the account was disabled or the agency removed."""
    return await load_principal(db, binding.account_id, binding.agency_id)


async def actor_subject(db: AsyncSession, binding: Binding, principal: Principal) -> str:
    if binding.actor_account_id is None:
        return principal.subject
    return (await db.execute(select(Account.subject).where(Account.id == binding.actor_account_id))).scalar_one()


async def bound_account(db: AsyncSession, settings: Settings, client: ClientInfo, sub: str) -> int | None:
    """The portal account behind ``sub`` (an account's own subject, or an agency's, as this system
    sees it) if it holds an active binding to this system; None otherwise, whatever the reason (a
    system learns nothing about subjects not bound to it)."""
    active = (Binding.client_id == client.client_id, Binding.state == "active")
    if client.subject_type == "pairwise":
        return await _pairwise_bound_account(db, settings, client, sub, active)
    account_id = await db.scalar(select(Binding.account_id).join(Account, Account.id == Binding.account_id)
                                 .where(Account.subject == sub, Binding.agency_id.is_(None), *active).limit(1))
    if account_id is not None:
        return account_id
    return await db.scalar(select(Binding.account_id).join(Agency, Agency.id == Binding.agency_id)
                           .where(Agency.subject == sub, *active).limit(1))


async def _pairwise_bound_account(db: AsyncSession, settings: Settings, client: ClientInfo, sub: str,
                                  active) -> int | None:
    """A pairwise sub is a keyed hash: it is found by hashing the subject of each of the system's
    active bindings in turn (one pass over that system's bindings, streamed)."""
    rows = await db.stream(select(Binding.account_id, func.coalesce(Agency.subject, Account.subject))
                           .join(Account, Account.id == Binding.account_id)
                           .outerjoin(Agency, Agency.id == Binding.agency_id).where(*active)
                           .execution_options(yield_per=1000))
    async for account_id, local_subject in rows:
        if constant_time_equal(subject_for(settings, client, local_subject), sub):
            return account_id
    return None
