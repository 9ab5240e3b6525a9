"""What staff see of an account's bindings (绑定管理): every binding still live or under way —
the account's own, those it holds as an agent, and for an enterprise its agents' bindings in its
name — with system, state, kind and, for an agent's, whose."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from idp.accounts.models import Account
from idp.bindings.models import Binding
from idp.bindings.transitions import LIVE
from idp.clients.models import Client
from idp.principals.models import Agency


@dataclass(frozen=True)
class BindingListing:
    id: str
    client_id: str
    system: str
    state: str  # pending | active | unbinding
    kind: str | None  # created (不可解除 by the user) | existing; None while pending
    holder: str  # the account's name (username)
    enterprise: str | None  # for an agent's binding: the enterprise it acts for
    forced: bool  # already being undone by force (staff, or the legal person)
    created_at: dt.datetime


async def bindings_of(db: AsyncSession, account: Account) -> list[BindingListing]:
    agencies = select(Agency.id).where(Agency.enterprise_account_id == account.id)
    holder, enterprise = Account.__table__.alias("holder"), Account.__table__.alias("enterprise")
    rows = (await db.execute(
        select(Binding, Client.display_name, holder.c.name, holder.c.username, enterprise.c.enterprise_name)
        .join(holder, holder.c.id == Binding.account_id)
        .outerjoin(Client, Client.client_id == Binding.client_id)
        .outerjoin(Agency, Agency.id == Binding.agency_id)
        .outerjoin(enterprise, enterprise.c.id == Agency.enterprise_account_id)
        .where(or_(Binding.account_id == account.id, Binding.agency_id.in_(agencies)), Binding.state.in_(LIVE))
        .order_by(Binding.created_at, Binding.id))).all()
    return [BindingListing(row.id, row.client_id, system or row.client_id, row.state, row.kind,
                           f"{name}（{username}）", enterprise_name, row.ended_by is not None, row.created_at)
            for row, system, name, username, enterprise_name in rows]
