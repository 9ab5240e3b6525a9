"""账号注销 as a state machine on the account: active → closing → closed (PIPL Art. 47).

- :func:`start_closing` (active → closing): from this moment the account logs in nowhere
  (``disabled_at``, which every login, session, token and binding already refuses).
- :func:`finish_closing` (closing → closed): once nothing is pending — no binding of the account
  or in its name still pending, active or being unbound at a system, no agency not ended — its
  personal data is erased (idp.account_closure.erasure) in the same transaction.

Each is one conditional UPDATE on ``closure_state``, so of two requests (or two instances of the
background loop) one moves the account and the other gets the coded refusal.
"""
from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.account_closure.erasure import erase_personal_data
from idp.accounts.models import Account
from idp.audit.log import record
from idp.bindings.models import Binding
from idp.bindings.transitions import LIVE
from idp.errors import DomainError
from idp.principals.models import Agency

ACTIVE, CLOSING, CLOSED = "active", "closing", "closed"


async def start_closing(db: AsyncSession, account_id: int, *, source_ip: str | None = None) -> None:
    now = clock.now()
    result = await db.execute(
        update(Account).where(Account.id == account_id, Account.closure_state == ACTIVE, Account.disabled_at.is_(None))
        .values(closure_state=CLOSING, closure_requested_at=now, disabled_at=now, updated_at=now)
        .returning(Account.subject).execution_options(synchronize_session=False))
    subject = result.scalar()
    if subject is None:
        raise DomainError("closure.not_active", status_code=409)
    record(db, "account.closure_requested", actor=subject, source_ip=source_ip)


async def pending_bindings(db: AsyncSession, account_id: int) -> list[Binding]:
    """Bindings still live at a system: the account's own, and those held in its name (an
    enterprise's agents', an agent's for its enterprises)."""
    agencies = select(Agency.id).where(or_(Agency.enterprise_account_id == account_id,
                                           Agency.agent_account_id == account_id))
    return list((await db.scalars(select(Binding).where(
        or_(Binding.account_id == account_id, Binding.agency_id.in_(agencies)), Binding.state.in_(LIVE))
        .order_by(Binding.created_at))).all())


async def live_agencies(db: AsyncSession, account_id: int) -> list[int]:
    """Agencies not ended yet: a legal person's agents, or a person's enterprises."""
    return list((await db.scalars(select(Agency.id).where(
        or_(Agency.enterprise_account_id == account_id, Agency.agent_account_id == account_id),
        Agency.removed_at.is_(None)))).all())


async def finish_closing(db: AsyncSession, account_id: int) -> None:
    if await pending_bindings(db, account_id) or await live_agencies(db, account_id):
        raise DomainError("closure.pending", status_code=409)
    now = clock.now()
    result = await db.execute(
        update(Account).where(Account.id == account_id, Account.closure_state == CLOSING)
        .values(closure_state=CLOSED, closed_at=now, updated_at=now)
        .returning(Account.subject).execution_options(synchronize_session=False))
    subject = result.scalar()
    if subject is None:
        raise DomainError("closure.not_closing", status_code=409)
    await erase_personal_data(db, account_id)
    record(db, "account.closed", actor="portal", subject=subject)


async def closing_accounts(db: AsyncSession, limit: int = 100) -> list[int]:
    return list((await db.scalars(select(Account.id).where(Account.closure_state == CLOSING)
                                  .order_by(Account.closure_requested_at).limit(limit))).all())
