"""Who a binding is for and who made it: the subject the system links (an account's own, or an
agency's for an agent) and the portal user whose browser completes it (docs/claims.md, Agents)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from idp.accounts.models import Account
from idp.bindings.models import Binding
from idp.principals.models import Agency
from idp.principals.principal import Principal, load_principal


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


async def bound_account(db: AsyncSession, client_id: str, sub: str) -> int | None:
    """The portal account behind ``sub`` (an account's own subject, or an agency's) if it holds
    an active binding to this system; None otherwise, whatever the reason (a system learns
    nothing about subjects not bound to it)."""
    active = (Binding.client_id == client_id, Binding.state == "active")
    account_id = await db.scalar(select(Binding.account_id).join(Account, Account.id == Binding.account_id)
                                 .where(Account.subject == sub, Binding.agency_id.is_(None), *active).limit(1))
    if account_id is not None:
        return account_id
    return await db.scalar(select(Binding.account_id).join(Agency, Agency.id == Binding.agency_id)
                           .where(Agency.subject == sub, *active).limit(1))
