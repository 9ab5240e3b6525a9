"""Counting wrong passwords and locking the account, atomically in the database.

One UPDATE per failure: the counter restarts when the window has passed, and the lock is set
by the failure that reaches the threshold and never extended by later ones, so parallel
failures on many instances lock the account exactly as documented. The same count locks staff
accounts (idp.staff), whose table has the same three columns.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import Account
from idp.settings import Settings


@dataclass(frozen=True)
class FailureCount:
    failures: int
    locked_until: dt.datetime | None
    # True for the one failure that set the lock (to audit account.locked exactly once).
    locked_now: bool = False


def is_locked(account: Any, now: dt.datetime | None = None) -> bool:
    """An account or a staff account (anything with ``locked_until``)."""
    return account.locked_until is not None and account.locked_until > (now or clock.now())


async def record_failure(db: AsyncSession, settings: Settings, account_id: int) -> FailureCount:
    return await count_failure(db, settings, Account, account_id)


async def count_failure(db: AsyncSession, settings: Settings, model: Any, row_id: int) -> FailureCount:
    """One failure of the row ``row_id`` of ``model``, a table with ``failed_logins``,
    ``failed_window_start`` and ``locked_until`` (portal accounts, staff accounts)."""
    now = clock.now()
    lock_from_now = now + dt.timedelta(seconds=settings.lockout_seconds)
    window_open = model.failed_window_start > now - dt.timedelta(seconds=settings.lockout_window_seconds)
    still_locked = model.locked_until > now
    # A lock that has run out starts a fresh count, even inside the old window.
    counting = window_open & model.locked_until.is_(None)
    new_count = case((still_locked, model.failed_logins), (counting, model.failed_logins + 1), else_=1)
    result = await db.execute(
        update(model)
        .where(model.id == row_id)
        .values(
            failed_logins=new_count,
            failed_window_start=case((still_locked | counting, model.failed_window_start), else_=now),
            locked_until=case(
                (still_locked, model.locked_until),
                (new_count >= settings.lockout_threshold, lock_from_now),
                else_=None,
            ),
        )
        .returning(model.failed_logins, model.locked_until)
    )
    row = result.one()
    # A lock is never extended, so only the failure that set it sees its own deadline.
    return FailureCount(row.failed_logins, row.locked_until, locked_now=row.locked_until == lock_from_now)


async def clear_failures(db: AsyncSession, account_id: int) -> None:
    """After a successful login or an unlock by code."""
    await db.execute(
        update(Account).where(Account.id == account_id)
        .values(failed_logins=0, failed_window_start=None, locked_until=None)
    )
