"""Account transitions. The accounts issue adds registration, real-name checks and recovery."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import Account, AccountType
from idp.audit.log import record
from idp.security.tokens import new_token
from shared.hashing import Passwords


class AccountExists(ValueError):
    pass


async def create_account(
    db: AsyncSession, passwords: Passwords, *, username: str, password: str, name: str,
    account_type: str = "personal", actor: str | None = None, **fields,
) -> Account:
    """``actor``: who creates it when not the person registering (the CLI, the demo data)."""
    username = username.strip().lower()
    if await db.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise AccountExists(f"username {username} is taken")
    now = clock.now()
    account = Account(
        subject=new_token()[:32], account_type=AccountType(account_type), username=username,
        password_hash=await passwords.hash(password), name=name, created_at=now, updated_at=now,
        password_changed_at=now, **fields,
    )
    if account.account_type == AccountType.personal:
        # Login names of 个人登录: one personal account per ID number and per mobile.
        account.personal_id_number = account.id_number
        account.personal_mobile = account.mobile
    db.add(account)
    await db.flush()
    record(db, "account.created", actor=actor or account.subject, account_type=account_type, subject=account.subject)
    return account


async def subject_of(db: AsyncSession, account_id: int | None) -> str | None:
    """The account's subject, for an audit event about it (None for none)."""
    if account_id is None:
        return None
    return await db.scalar(select(Account.subject).where(Account.id == account_id))
