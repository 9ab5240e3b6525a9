"""The lockout counter: 5 wrong passwords in 15 minutes lock for 30 minutes, atomically."""
import asyncio
import datetime as dt

from sqlalchemy import update

from idp import clock
from idp.accounts.lockout import clear_failures, is_locked, record_failure
from idp.accounts.models import Account


async def _failure(put):
    async with put.portal.sessionmaker.begin() as db:
        return await record_failure(db, put.settings, put.account.id)


async def _account(put) -> Account:
    async with put.portal.reader() as db:
        return await db.get(Account, put.account.id)


async def test_four_failures_do_not_lock_and_the_fifth_does(put):
    for expected in range(1, 5):
        result = await _failure(put)
        assert result.failures == expected and result.locked_until is None
    fifth = await _failure(put)
    assert fifth.failures == 5
    lock = (fifth.locked_until - clock.now()).total_seconds()
    assert 1790 < lock <= 1800
    assert is_locked(await _account(put))


async def test_failures_outside_the_window_start_a_new_count(put):
    for _ in range(4):
        await _failure(put)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id)
                         .values(failed_window_start=clock.now() - dt.timedelta(minutes=16)))
    result = await _failure(put)
    assert result.failures == 1 and result.locked_until is None


async def test_failures_while_locked_do_not_extend_the_lock(put):
    for _ in range(5):
        locked = await _failure(put)
    again = await _failure(put)
    assert again.locked_until == locked.locked_until


async def test_lock_expires_after_its_time(put):
    for _ in range(5):
        await _failure(put)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id)
                         .values(locked_until=clock.now() - dt.timedelta(seconds=1)))
    account = await _account(put)
    assert not is_locked(account)
    assert (await _failure(put)).failures == 1


async def test_twenty_parallel_failures_lock_once_at_the_fifth(put):
    results = await asyncio.gather(*(_failure(put) for _ in range(20)))
    counts = sorted(r.failures for r in results)
    # Exactly one failure each reaches 1..5; once locked the counter stands still at 5.
    assert counts[:5] == [1, 2, 3, 4, 5] and set(counts[5:]) == {5}
    locks = {r.locked_until for r in results if r.locked_until is not None}
    assert len(locks) == 1, "the lock is set once and never extended"
    assert sum(1 for r in results if r.locked_until is None) == 4


async def test_clearing_failures_unlocks(put):
    for _ in range(5):
        await _failure(put)
    async with put.portal.sessionmaker.begin() as db:
        await clear_failures(db, put.account.id)
    account = await _account(put)
    assert not is_locked(account) and account.failed_logins == 0
