"""账号设置 asks for the current password before a recovery means (the mobile, the e-mail) may
change (ASVS V7.5.1): a stolen session cookie alone must not take the account over through
忘记密码 by a code sent to the thief's own address."""
from __future__ import annotations

import asyncio
from html import unescape

import pytest
from sqlalchemy import select

from idp.accounts.models import Account
from idp.flows.models import Flow
from shared.messages import text
from tests.support.portal import PASSWORD, hidden_fields
from tests.support.registration import digest_of
from tests.support.signin import audit_events
from tests.support.space import alert, all_messages, fresh, messages_to, signed_in

THIEF = {"email": "thief@evil.example", "mobile": "13700000099"}
OWNER = {"email": "zhangsan@example.com", "mobile": "13800138000"}


@pytest.fixture
async def stolen(put):
    """A browser holding only the owner's session cookie (as after stealing ``idp_session``)."""
    browser = await signed_in(put, put.account)
    yield browser
    await browser.aclose()


async def nothing_changed(put) -> None:
    account = await fresh(put, put.account.id)
    assert (account.email, account.mobile, account.personal_mobile) == (
        OWNER["email"], OWNER["mobile"], digest_of(put, Account.personal_mobile, OWNER["mobile"]))
    for value in THIEF.values():
        assert await messages_to(put, value) == []
    async with put.portal.sessionmaker() as db:
        assert (await db.scalars(select(Flow))).all() == []


@pytest.mark.parametrize("key", ["email", "mobile"])
async def test_the_session_cookie_alone_cannot_change_a_recovery_means(put, stolen, key):
    """The attack: GET the form, POST the CSRF token and the thief's value without the password."""
    page = await stolen.go(f"/space/settings/{key}")
    assert 'type="password" id="current_password" name="current_password"' in page.text
    response = await stolen.submit(page, f"/space/settings/{key}", **{key: THIEF[key]})
    assert response.status_code == 200
    assert unescape(alert(response.text)) == text("settings.current_password_required")
    assert f'value="{THIEF[key]}"' in response.text  # the typed value is kept for the retry
    response = await stolen.submit(page, f"/space/settings/{key}", **{key: THIEF[key], "current_password": ""})
    assert unescape(alert(response.text)) == text("settings.current_password_required")
    await nothing_changed(put)
    assert (await fresh(put, put.account.id)).failed_logins == 0  # an empty field is no guess


@pytest.mark.parametrize("key", ["email", "mobile"])
async def test_a_wrong_password_is_refused_and_counted_as_a_failed_login(put, stolen, key):
    page = await stolen.go(f"/space/settings/{key}")
    response = await stolen.submit(page, f"/space/settings/{key}", **{key: THIEF[key]},
                                   current_password="Guess#2026pass")
    assert unescape(alert(response.text)) == text("settings.current_password_wrong")
    assert 'value="Guess#2026pass"' not in response.text  # a password is never sent back
    await nothing_changed(put)
    assert (await fresh(put, put.account.id)).failed_logins == 1
    [event] = await audit_events(put, f"account.{key}_change_failed")
    assert event.outcome == "failure" and event.details["reason"] == "wrong_password"
    assert "Guess#2026pass" not in str(event.details)


async def test_wrong_passwords_lock_the_account_like_wrong_logins(put, stolen):
    threshold = put.settings.lockout_threshold
    locked = text("login.locked", minutes=put.settings.lockout_seconds // 60)
    page = await stolen.go("/space/settings/email")
    for attempt in range(1, threshold + 1):
        response = await stolen.submit(page, "/space/settings/email", email=THIEF["email"],
                                       current_password=f"Guess#{attempt}pass")
        expected = locked if attempt == threshold else text("settings.current_password_wrong")
        assert unescape(alert(response.text)) == expected, attempt
    # Locked: the right password does not get through now either, and nothing was sent.
    response = await stolen.submit(page, "/space/settings/email", email=THIEF["email"], current_password=PASSWORD)
    assert unescape(alert(response.text)) == locked
    await nothing_changed(put)
    assert len(await audit_events(put, "account.locked")) == 1
    # The lock is the login's: the owner's next login is refused alike.
    assert (await fresh(put, put.account.id)).locked_until is not None


async def test_parallel_wrong_passwords_count_exactly(put, stolen):
    """One conditional UPDATE per failure: parallel guesses cannot slip past the threshold."""
    page = await stolen.go("/space/settings/mobile")
    fields = hidden_fields(page.text)
    threshold = put.settings.lockout_threshold
    responses = await asyncio.gather(*(
        stolen.client.post("/space/settings/mobile", data={**fields, "mobile": THIEF["mobile"],
                                                           "current_password": f"Guess#{n}pass"})
        for n in range(threshold * 2)))
    messages = [unescape(alert(r.text)) for r in responses]
    locked = text("login.locked", minutes=put.settings.lockout_seconds // 60)
    assert messages.count(text("settings.current_password_wrong")) == threshold - 1
    assert messages.count(locked) == threshold + 1
    account = await fresh(put, put.account.id)
    assert account.failed_logins == threshold and account.locked_until is not None
    await nothing_changed(put)


async def test_a_bad_value_is_refused_before_the_password_is_tried(put, stolen):
    """A typo in the new address costs no login attempt."""
    page = await stolen.go("/space/settings/email")
    response = await stolen.submit(page, "/space/settings/email", email="nope", current_password="Guess#2026pass")
    assert unescape(alert(response.text)) == text("email.format")
    assert (await fresh(put, put.account.id)).failed_logins == 0
    await nothing_changed(put)


@pytest.mark.parametrize("key", ["email", "mobile"])
async def test_with_the_current_password_the_code_goes_to_the_new_value(put, stolen, key):
    page = await stolen.go(f"/space/settings/{key}")
    response = await stolen.submit(page, f"/space/settings/{key}", **{key: THIEF[key]}, current_password=PASSWORD)
    assert 'id="code"' in response.text
    [sent] = await all_messages(put)
    assert sent.recipient == THIEF[key]


async def test_a_right_password_after_a_wrong_one_works_and_keeps_the_count(put, stolen):
    """The count is the login's: a right password here does not reset it (only a login or
    用户解锁 does), so alternating guesses with a known password cannot dodge the lock."""
    page = await stolen.go("/space/settings/email")
    await stolen.submit(page, "/space/settings/email", email=THIEF["email"], current_password="Guess#2026pass")
    response = await stolen.submit(page, "/space/settings/email", email=THIEF["email"], current_password=PASSWORD)
    assert 'id="code"' in response.text
    assert (await fresh(put, put.account.id)).failed_logins == 1


async def test_changing_the_password_asks_for_the_current_one(put, stolen):
    page = await stolen.go("/space/settings/password")
    assert 'type="password" id="old_password" name="old_password"' in page.text
    response = await stolen.submit(page, "/space/settings/password", new_password="Thief#2026pass",
                                   confirm_password="Thief#2026pass")
    assert unescape(alert(response.text)) == text("settings.old_password_required")
    assert await put.portal.passwords.verify((await fresh(put, put.account.id)).password_hash, PASSWORD)
