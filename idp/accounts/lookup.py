"""Finding an account by an identity number or mobile: the one place that knows how ID numbers,
credit codes and mobiles are stored, so that a change of storage (e.g. an encrypted column with a
keyed index) changes these functions only."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp.accounts.models import Account, AccountType


async def account_by_id_number(db: AsyncSession, number: str, account_type: AccountType) -> Account | None:
    """The personal account of this (18-character, normalised) ID number; for legal persons the
    ID number is the representative's and names no account, so only ``personal`` finds one."""
    if account_type != AccountType.personal:
        return None
    return await db.scalar(select(Account).where(Account.personal_id_number == number))


async def account_by_credit_code(db: AsyncSession, credit_code: str) -> Account | None:
    """The legal-person account of this 统一社会信用代码."""
    return await db.scalar(select(Account).where(Account.credit_code == credit_code,
                                                 Account.account_type == AccountType.legal_person))


async def account_by_mobile(db: AsyncSession, mobile: str) -> Account | None:
    """The personal account whose login name this (normalised) mobile number is."""
    return await db.scalar(select(Account).where(Account.personal_mobile == mobile))
