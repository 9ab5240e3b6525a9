"""Deactivating a duplicate 二级 account on request (seed 004 三/四: "现'二级'账号可给政务服务门户
留言删除" — the user found their original real-name account again, and the newer 二级 one with the
same ID number is to go).

Accounts are never deleted (the subject is never reused): deactivation sets ``disabled_at`` —
the state every login, session, token and binding already refuses — and frees the account's
unique ID number and mobile, so the original account can take the mobile (seed 004 三: "如果提示
手机号已存在，可在政务服务门户留言删除原账号"). It is one conditional UPDATE that re-checks what
qualifies (personal, 二级, not disabled), so of two staff at once one deactivates and the other
is told; then every session of the account ends everywhere (back-channel logout included).
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import Account, AccountType
from idp.audit.log import record
from idp.errors import DomainError
from idp.oidc.logout.single_logout import end_account_sessions
from idp.portal import Portal

LEVEL_TWO = 2


async def original_of(db: AsyncSession, account: Account) -> Account | None:
    """Another enabled real-name personal account with the same ID number, if there is one."""
    if not account.id_number:
        return None
    return await db.scalar(select(Account).where(
        Account.id != account.id, Account.id_number_index == account.id_number,  # its blind index
        Account.account_type == AccountType.personal, Account.realname_level >= LEVEL_TWO,
        Account.disabled_at.is_(None)).order_by(Account.id).limit(1))


def check_duplicate(account: Account | None, original: Account | None) -> Account:
    """The refusals, in the order staff need them (coded DomainErrors)."""
    if account is None:
        raise DomainError("bindings_admin.account_not_found", status_code=404)
    if account.disabled_at is not None:
        raise DomainError("bindings_admin.already_deactivated", status_code=409)
    if account.account_type != AccountType.personal or account.realname_level != LEVEL_TWO:
        raise DomainError("bindings_admin.not_level_two")
    if original is None:
        raise DomainError("bindings_admin.no_duplicate")
    return account


async def deactivate_duplicate_account(portal: Portal, account_id: int, *, staff: str, request: str | None = None,
                                       source_ip: str | None = None) -> Account:
    """Deactivate the 二级 account ``account_id`` whose ID number another real-name account holds;
    returns it as it was. Audited as ``account.deactivated`` with the staff member, the request
    and the original account."""
    now = clock.now()
    async with portal.sessionmaker.begin() as db:
        account = await db.get(Account, account_id)
        original = await original_of(db, account) if account is not None else None
        account = check_duplicate(account, original)
        assert original is not None  # check_duplicate refused otherwise
        result = await db.execute(
            update(Account).where(Account.id == account_id, Account.disabled_at.is_(None),
                                  Account.account_type == AccountType.personal, Account.realname_level == LEVEL_TWO)
            .values(disabled_at=now, updated_at=now, personal_id_number=None, personal_mobile=None)
            .returning(Account.id).execution_options(synchronize_session=False))
        if result.first() is None:  # another staff member (or an upgrade) came first
            raise DomainError("bindings_admin.already_deactivated", status_code=409)
        record(db, "account.deactivated", actor=f"staff:{staff}", source_ip=source_ip, subject=account.subject,
               reason="duplicate", original=original.subject, **({"request": request} if request else {}))
    await end_account_sessions(portal, account_id, reason="account_deactivated", source_ip=source_ip)
    return account
