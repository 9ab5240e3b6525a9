"""Lockout through the login page: 5 wrong passwords within 15 minutes lock the account for 30
minutes; the message says so and offers 用户解锁; the right password does not get in while
locked; parallel wrong passwords lock exactly as documented (issue 3)."""
import asyncio
import datetime as dt

import pytest
from sqlalchemy import select, update

from idp import clock as idp_clock
from idp.accounts.models import Account
from idp.sessions.models import UserSession
from tests.support.authz import Clock, has_session_cookie
from tests.support.login import LOCKED, WRONG_CREDENTIALS, account_row, alert, attempt, logged_in_to, open_login
from tests.support.signin import audit_events

WRONG = "Wrong@2026pass"


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


async def fail(browser, times: int, login_name: str = "zhangsan"):
    response = await open_login(browser)
    for _ in range(times):
        response = await attempt(browser, response, login_name, WRONG)
    return response


def assert_locked_page(response, minutes: int) -> None:
    assert response.status_code == 200 and not has_session_cookie(response)
    assert alert(response) == f"账号已被锁定，请{minutes}分钟后再试，或通过“用户解锁”立即解锁。 用户解锁"
    assert '<a id="locked-unlock" href="/unlock">用户解锁</a>' in response.text


async def test_four_wrong_passwords_say_wrong_and_the_fifth_locks(put, browser):
    page = await open_login(browser)
    for _ in range(4):
        page = await attempt(browser, page, "zhangsan", WRONG)
        assert alert(page) == WRONG_CREDENTIALS
    fifth = await attempt(browser, page, "zhangsan", WRONG)
    assert_locked_page(fifth, 30)
    account = await account_row(put, put.account.id)
    assert account.failed_logins == 5
    assert 1790 < (account.locked_until - idp_clock.now()).total_seconds() <= 1800
    [locked] = await audit_events(put, "account.locked")
    assert locked.actor == put.account.subject
    failed = await audit_events(put, "login.failed")
    assert len(failed) == 5 and {e.details["reason"] for e in failed} == {"wrong_password"}


async def test_a_locked_account_refuses_the_right_password_by_every_login_name(put, browser):
    page = await fail(browser, 5)
    for login_name in ("zhangsan", "13800138000", "110000198506120133"):
        page = await attempt(browser, page, login_name)
        assert_locked_page(page, 30)
    account = await account_row(put, put.account.id)
    assert account.failed_logins == 5, "refused before the password: no count, no extension"
    assert not await audit_events(put, "login.succeeded")
    assert [e.details["reason"] for e in await audit_events(put, "login.failed")][-3:] == ["locked"] * 3


async def test_the_message_counts_down_the_minutes_left(put, browser, clock):
    await fail(browser, 5)
    clock.advance(20 * 60 + 30)  # the login page and its captcha have expired meanwhile: a new one
    assert_locked_page(await attempt(browser, await open_login(browser), "zhangsan"), 10)


async def test_the_lock_runs_out_and_the_right_password_then_clears_the_count(put, browser, clock):
    await fail(browser, 5)
    clock.advance(30 * 60 + 1)
    assert logged_in_to(await attempt(browser, await open_login(browser), "zhangsan")) == "/space"
    account = await account_row(put, put.account.id)
    assert account.failed_logins == 0 and account.locked_until is None


async def test_a_success_before_the_fifth_failure_starts_the_count_again(put, browser):
    page = await fail(browser, 4)
    assert logged_in_to(await attempt(browser, page, "zhangsan")) == "/space"
    page = await fail(browser, 4)
    assert alert(page) == WRONG_CREDENTIALS
    assert (await account_row(put, put.account.id)).failed_logins == 4


async def test_failures_older_than_the_window_do_not_count(put, browser):
    page = await fail(browser, 4)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id)
                         .values(failed_window_start=idp_clock.now() - dt.timedelta(minutes=16)))
    page = await attempt(browser, page, "zhangsan", WRONG)
    assert alert(page) == WRONG_CREDENTIALS
    assert (await account_row(put, put.account.id)).failed_logins == 1


async def test_failures_by_mobile_and_id_number_count_for_the_same_account(put, browser):
    page = await open_login(browser)
    for login_name in ("zhangsan", "13800138000", "110000198506120133", "ZHANGSAN"):
        page = await attempt(browser, page, login_name, WRONG)
    assert_locked_page(await attempt(browser, page, "+86 138 0013 8000", WRONG), 30)


async def test_the_lock_is_checked_again_after_the_password(put, browser, monkeypatch):
    """Parallel wrong passwords may lock the account while a right one is being checked: the
    lock wins, and no session starts."""
    real_verify = put.portal.passwords.verify

    async def verify_while_others_fail(stored_hash, password):
        async with put.portal.sessionmaker.begin() as db:
            await db.execute(update(Account).where(Account.id == put.account.id)
                             .values(locked_until=idp_clock.now() + dt.timedelta(minutes=30)))
        return await real_verify(stored_hash, password)

    monkeypatch.setattr(put.portal.passwords, "verify", verify_while_others_fail)
    response = await attempt(browser, await open_login(browser), "zhangsan")
    assert_locked_page(response, 30)
    assert not await audit_events(put, "login.succeeded")


async def test_twenty_parallel_wrong_passwords_lock_exactly_at_the_fifth(put, browser):
    pages = [await open_login(browser) for _ in range(20)]
    responses = await asyncio.gather(*(attempt(browser, page, "zhangsan", WRONG) for page in pages))
    messages = [alert(r) for r in responses]
    assert all(r.status_code == 200 and not has_session_cookie(r) for r in responses)
    assert messages.count(WRONG_CREDENTIALS) == 4
    assert sum(m.startswith(LOCKED) for m in messages) == 16
    account = await account_row(put, put.account.id)
    assert account.failed_logins == 5 and account.locked_until is not None
    assert len(await audit_events(put, "account.locked")) == 1
    assert len(await audit_events(put, "login.failed")) == 20
    assert_locked_page(await attempt(browser, await open_login(browser), "zhangsan"), 30)


async def test_a_lock_that_wins_leaves_the_previous_users_session_alone(put, browser, monkeypatch):
    """Logging in as another user ends the browser's previous session only when the login
    succeeds: a lock set while the password was checked refuses it before anything else changes."""
    lisi = await put.add_account("lisi")
    assert logged_in_to(await attempt(browser, await open_login(browser), "lisi"))
    real_verify = put.portal.passwords.verify

    async def verify_while_others_fail(stored_hash, password):
        async with put.portal.sessionmaker.begin() as db:
            await db.execute(update(Account).where(Account.id == put.account.id)
                             .values(locked_until=idp_clock.now() + dt.timedelta(minutes=30)))
        return await real_verify(stored_hash, password)

    monkeypatch.setattr(put.portal.passwords, "verify", verify_while_others_fail)
    assert_locked_page(await attempt(browser, await open_login(browser), "zhangsan"), 30)
    async with put.portal.reader() as db:
        live = (await db.scalars(select(UserSession.account_id).where(UserSession.ended_at.is_(None)))).all()
    assert live == [lisi.id]
    assert len(await audit_events(put, "login.succeeded")) == 1
