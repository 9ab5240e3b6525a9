"""账号设置: 修改密码 (the old password required; other sessions end), 修改手机号 and 修改电子邮箱
(the current password, then a code to the new value), every bad input refused on the same form with nothing changed,
and the verified claims that a proven change earns."""
from __future__ import annotations

import asyncio
import datetime as dt
from html import unescape

import pytest
from sqlalchemy import select, update

from idp import clock
from idp.accounts.models import Account
from idp.codes.models import OneTimeCode
from idp.flows.models import Flow
from idp.sessions.models import UserSession
from idp.space import transitions
from shared.messages import text
from tests.support.portal import PASSWORD, Browser, hidden_fields
from tests.support.registration import digest_of
from tests.support.signin import audit_events, received_tokens, settle_backchannel
from tests.support.space import alert, all_messages, code_sent_to, fresh, messages_to, signed_in
from tests.support.tokens import code_flow, refresh, userinfo

NEW_PASSWORD = "New#2026pass"
NEW_MOBILE = "13700000000"
NEW_EMAIL = "zhang.san@mail.example.cn"
LEGAL = dict(account_type="legal_person", name="李四", enterprise_name="示例医疗器械有限公司",
             credit_code="91350100M000100Y43", id_type="居民身份证", id_number="11000019800101002X",
             mobile="13900000001", realname_level=3)


@pytest.fixture
async def me(put):
    browser = await signed_in(put, put.account)
    yield browser
    await browser.aclose()


async def change_password(browser: Browser, old: str, new: str, confirm: str | None = None):
    page = await browser.go("/space/settings/password")
    return await browser.submit(page, "/space/settings/password", old_password=old, new_password=new,
                                confirm_password=new if confirm is None else confirm)


async def start_change(browser: Browser, key: str, value: str):
    page = await browser.go(f"/space/settings/{key}")
    return await browser.submit(page, f"/space/settings/{key}", **{key: value}, current_password=PASSWORD)


async def confirm_change(browser: Browser, page, key: str, code: str):
    return await browser.submit(page, f"/space/settings/{key}/confirm", code=code)


async def live_sessions(put, account_id: int) -> set[str]:
    async with put.portal.sessionmaker() as db:
        return set((await db.scalars(select(UserSession.sid).where(
            UserSession.account_id == account_id, UserSession.ended_at.is_(None)))).all())


def refused(response, message_id: str, **values) -> None:
    assert response.status_code == 200, response.text[:300]
    assert unescape(alert(response.text) or "") == text(message_id, **values), alert(response.text)


# --- 修改密码 -----------------------------------------------------------------------------------


async def test_password_change_keeps_this_session_and_ends_every_other(put, me):
    elsewhere = await signed_in(put, put.account)  # e.g. another computer, logged in to a business system
    other_user = await signed_in(put, await put.add_account("lisi", name="李四"))
    try:
        other_tokens = await code_flow(put, elsewhere, put.rp, "openid profile")
        await settle_backchannel(put)
        before = await fresh(put, put.account.id)
        mine = await live_sessions(put, put.account.id)
        assert len(mine) == 2

        response = await change_password(me, PASSWORD, NEW_PASSWORD)
        assert str(response.url).endswith("/space/settings?done=password")
        assert text("settings.password_changed") in response.text

        after = await fresh(put, put.account.id)
        assert after.password_hash != before.password_hash
        assert after.password_changed_at > before.password_changed_at
        assert await put.portal.passwords.verify(after.password_hash, NEW_PASSWORD)
        assert not await put.portal.passwords.verify(after.password_hash, PASSWORD)
        # This browser stays logged in; the other one is out, with its business-system tokens.
        assert (await me.client.get("/space/settings")).status_code == 200
        gone = await elsewhere.client.get("/space")
        assert gone.status_code == 303 and gone.headers["location"] == "/login"
        assert len(await live_sessions(put, put.account.id)) == 1
        assert (await userinfo(put, other_tokens["access_token"])).status_code == 401
        await settle_backchannel(put)
        assert len(received_tokens(put, "rp.rp.example.test")) == 1
        # Another user's session is none of this change's business.
        assert (await other_user.client.get("/space")).status_code == 200
        [event] = await audit_events(put, "password.changed")
        assert event.actor == put.account.subject and NEW_PASSWORD not in str(event.details)
        assert [e.details["reason"] for e in await audit_events(put, "session.logout")] == ["password_changed"]
    finally:
        await elsewhere.aclose()
        await other_user.aclose()


BAD_PASSWORD_CHANGES = [
    ("", NEW_PASSWORD, NEW_PASSWORD, "settings.old_password_required"),
    ("Wrong#2026pass", NEW_PASSWORD, NEW_PASSWORD, "settings.old_password_wrong"),
    (PASSWORD, "", "", "password.rule"),
    (PASSWORD, "Ab1#xyz", "Ab1#xyz", "password.rule"),  # 7 characters
    (PASSWORD, "Abcdefgh12345678#", "Abcdefgh12345678#", "password.rule"),  # 17 characters
    (PASSWORD, "abcdefgh123", "abcdefgh123", "password.rule"),  # two kinds only
    (PASSWORD, "Abc 12345#x", "Abc 12345#x", "password.rule"),  # a space
    (PASSWORD, "Ab1#密码密码密码", "Ab1#密码密码密码", "password.rule"),  # not ASCII
    (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "password.mismatch"),
    (PASSWORD, PASSWORD, PASSWORD, "settings.password_same"),
]


async def test_bad_password_change_is_refused_on_the_same_form(put, me):
    elsewhere = await signed_in(put, put.account)
    try:
        before = await fresh(put, put.account.id)
        for old, new, confirm, message_id in BAD_PASSWORD_CHANGES:
            response = await change_password(me, old, new, confirm)
            refused(response, message_id)
            assert 'action="/space/settings/password"' in response.text
            # Passwords are never sent back.
            for value in {old, new, confirm} - {""}:
                assert f'value="{value}"' not in response.text
            after = await fresh(put, put.account.id)
            assert (after.password_hash, after.password_changed_at) == (before.password_hash,
                                                                        before.password_changed_at), message_id
        assert await audit_events(put, "password.changed") == []
        assert len(await live_sessions(put, put.account.id)) == 2
        # The rule's edge: 16 characters are accepted.
        response = await change_password(me, PASSWORD, "Kq7#vLm2xRw9tB4z")
        assert str(response.url).endswith("?done=password")
    finally:
        await elsewhere.aclose()


async def test_wrong_old_passwords_count_towards_the_lockout(put, me):
    """A stolen session must not become a way to guess the password."""
    locked = text("login.locked", minutes=put.settings.lockout_seconds // 60)
    for attempt in range(1, put.settings.lockout_threshold + 1):
        response = await change_password(me, f"Wrong#{attempt}pass", NEW_PASSWORD)
        assert (await fresh(put, put.account.id)).failed_logins == attempt
        expected = locked if attempt == put.settings.lockout_threshold else text("settings.old_password_wrong")
        assert unescape(alert(response.text)) == expected, attempt
    # Locked: not even the right old password changes it now; this session stays.
    response = await change_password(me, PASSWORD, NEW_PASSWORD)
    assert unescape(alert(response.text)) == locked
    assert await put.portal.passwords.verify((await fresh(put, put.account.id)).password_hash, PASSWORD)
    assert len(await audit_events(put, "password.change_failed")) == put.settings.lockout_threshold
    [event] = await audit_events(put, "account.locked")
    assert event.actor == put.account.subject
    assert (await me.client.get("/space/settings")).status_code == 200


async def test_two_parallel_password_changes_apply_once(put, me):
    page = await me.go("/space/settings/password")
    fields = hidden_fields(page.text)

    async def post(new: str):
        return await me.client.post("/space/settings/password", data={
            **fields, "old_password": PASSWORD, "new_password": new, "confirm_password": new})

    first, second = await asyncio.gather(post("First#2026pw"), post("Second#2026pw"))
    assert sorted([first.status_code, second.status_code]) == [200, 303]
    loser = first if first.status_code == 200 else second
    refused(loser, "settings.old_password_wrong")
    stored = (await fresh(put, put.account.id)).password_hash
    matches = [await put.portal.passwords.verify(stored, p) for p in ("First#2026pw", "Second#2026pw")]
    assert matches.count(True) == 1
    assert (first.status_code == 303) == matches[0]
    assert len(await audit_events(put, "password.changed")) == 1


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/space/settings/password", "/space/settings/mobile", "/space/settings/email",
                                  "/space/settings/mobile/confirm", "/space/settings/email/confirm"])
async def test_every_form_needs_the_sessions_csrf_secret(put, me, path):
    key = "email" if "email" in path else "mobile"
    started = await start_change(me, key, NEW_EMAIL if key == "email" else NEW_MOBILE)
    fields = {**hidden_fields(started.text), "old_password": PASSWORD, "current_password": PASSWORD,
              "new_password": NEW_PASSWORD,
              "confirm_password": NEW_PASSWORD, "mobile": "13600000000", "email": "other@example.com",
              "code": await code_sent_to(put, NEW_EMAIL if key == "email" else NEW_MOBILE)}
    before = await fresh(put, put.account.id)
    sent = len(await all_messages(put))
    for token in (None, "", "forged", fields["csrf_token"] + "x"):
        if token is None:
            data = {k: v for k, v in fields.items() if k != "csrf_token"}
        else:
            data = {**fields, "csrf_token": token}
        response = await me.client.post(path, data=data)
        assert response.status_code == 403 and "页面已失效" in response.text, token
    after = await fresh(put, put.account.id)
    assert (after.password_hash, after.mobile, after.email) == (before.password_hash, before.mobile, before.email)
    assert len(await all_messages(put)) == sent
    # The same request with the session's secret goes through (so the refusals were the token's).
    assert (await me.client.post(path, data=fields)).status_code == 303


async def test_another_sessions_csrf_secret_is_refused(put, me):
    other = await signed_in(put, await put.add_account("lisi", name="李四"))
    try:
        foreign = hidden_fields((await other.go("/space/settings/password")).text)["csrf_token"]
    finally:
        await other.aclose()
    response = await me.client.post("/space/settings/password", data={
        "csrf_token": foreign, "old_password": PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})
    assert response.status_code == 403
    assert await put.portal.passwords.verify((await fresh(put, put.account.id)).password_hash, PASSWORD)


async def test_posts_without_a_login_go_to_login(put):
    async with put.http() as http:
        for path in ("/space/settings/password", "/space/settings/mobile", "/space/settings/mobile/confirm"):
            response = await http.post(path, data={"mobile": NEW_MOBILE, "code": "123456"})
            assert response.status_code == 303 and response.headers["location"] == "/login"
    assert await all_messages(put) == []


# --- 修改手机号 / 修改电子邮箱 -------------------------------------------------------------------


async def test_mobile_change_sends_a_code_to_the_new_number_and_proves_it(put, me):
    page = await start_change(me, "mobile", "+86 137-0000-0000")  # normalised to 13700000000
    assert f'<p id="destination">验证码已发送至 <strong>{NEW_MOBILE}</strong>' in page.text
    assert 'id="code"' in page.text and 'action="/space/settings/mobile/confirm"' in page.text
    [sent] = await all_messages(put)
    assert (sent.channel, sent.recipient) == ("sms", NEW_MOBILE) and "修改手机号" in sent.body
    assert await messages_to(put, "13800138000") == []
    assert (await fresh(put, put.account.id)).mobile == "13800138000"  # nothing changes before the code

    response = await confirm_change(me, page, "mobile", await code_sent_to(put, NEW_MOBILE))
    assert str(response.url).endswith("/space/settings?done=mobile")
    assert text("settings.mobile_changed") in response.text and "137****0000" in response.text
    account = await fresh(put, put.account.id)
    assert (account.mobile, account.personal_mobile) == (
        NEW_MOBILE, digest_of(put, Account.personal_mobile, NEW_MOBILE))
    assert account.mobile_verified_at is not None and account.email_verified_at is None
    assert account.updated_at > put.account.updated_at
    [event] = await audit_events(put, "account.mobile_changed")
    assert event.actor == event.subject == put.account.subject
    assert event.details == {"old": "138****8000", "new": "137****0000"}


async def test_email_change_sends_a_code_to_the_new_address_and_proves_it(put, me):
    page = await start_change(me, "email", NEW_EMAIL)
    [sent] = await all_messages(put)
    assert (sent.channel, sent.recipient) == ("email", NEW_EMAIL) and "修改电子邮箱" in sent.subject
    response = await confirm_change(me, page, "email", await code_sent_to(put, NEW_EMAIL))
    assert text("settings.email_changed") in response.text and NEW_EMAIL in response.text
    account = await fresh(put, put.account.id)
    assert account.email == NEW_EMAIL and account.email_verified_at is not None
    assert (account.mobile, account.mobile_verified_at) == ("13800138000", None)
    assert len(await audit_events(put, "account.email_changed")) == 1


async def test_proven_changes_make_the_claims_verified(put, me):
    tokens = await code_flow(put, me, put.rp, "openid phone email")
    info = (await userinfo(put, tokens["access_token"])).json()
    assert (info["phone_number"], info["phone_number_verified"]) == ("13800138000", False)
    assert (info["email"], info["email_verified"]) == ("zhangsan@example.com", False)

    page = await start_change(me, "mobile", NEW_MOBILE)
    await confirm_change(me, page, "mobile", await code_sent_to(put, NEW_MOBILE))
    info = (await userinfo(put, tokens["access_token"])).json()
    assert (info["phone_number"], info["phone_number_verified"]) == (NEW_MOBILE, True)
    assert info["email_verified"] is False

    page = await start_change(me, "email", NEW_EMAIL)
    await confirm_change(me, page, "email", await code_sent_to(put, NEW_EMAIL))
    info = (await userinfo(put, tokens["access_token"])).json()
    assert (info["email"], info["email_verified"]) == (NEW_EMAIL, True)
    assert "已验证" in (await me.go("/space/settings")).text


BAD_VALUES = {
    "mobile": [
        ("", "mobile.format"),
        ("1380013800", "mobile.format"),
        ("23800138000", "mobile.format"),
        ("138001380001", "mobile.format"),
        ("1380013800a", "mobile.format"),
        ("13800138000", "settings.mobile_same"),
        ("+86 138 0013 8000", "settings.mobile_same"),
        ("13900000002", "settings.mobile_taken"),  # another personal account's login name
    ],
    "email": [
        ("", "email.format"),
        ("zhangsan", "email.format"),
        ("zhangsan@", "email.format"),
        ("zhang san@example.com", "email.format"),
        ("zhangsan@example.com", "settings.email_same"),
        ("zhangsan@EXAMPLE.com", "settings.email_same"),
    ],
}


@pytest.mark.parametrize("key", BAD_VALUES)
async def test_bad_new_value_is_refused_on_the_same_form(put, me, key):
    await put.add_account("wangwu", name="王五", mobile="13900000002")
    for value, message_id in BAD_VALUES[key]:
        response = await start_change(me, key, value)
        refused(response, message_id)
        assert f'action="/space/settings/{key}"' in response.text
        assert f'id="{key}" name="{key}" value="{value}"' in response.text  # the user's value is kept
    assert await all_messages(put) == []
    async with put.portal.sessionmaker() as db:
        assert (await db.scalars(select(Flow))).all() == []
    account = await fresh(put, put.account.id)
    assert (account.mobile, account.email) == ("13800138000", "zhangsan@example.com")


async def test_a_legal_person_may_use_the_mobile_of_a_personal_account(put):
    """The legal representative's own personal account often has the same number."""
    corp = await put.add_account("corp", **LEGAL)
    browser = await signed_in(put, corp)
    try:
        page = await start_change(browser, "mobile", "13800138000")
        await confirm_change(browser, page, "mobile", await code_sent_to(put, "13800138000"))
    finally:
        await browser.aclose()
    account = await fresh(put, corp.id)
    assert (account.mobile, account.personal_mobile) == ("13800138000", None)
    assert (await fresh(put, put.account.id)).personal_mobile == digest_of(put, Account.personal_mobile, "13800138000")


async def test_malformed_code_is_refused_without_using_an_attempt(put, me):
    page = await start_change(me, "mobile", NEW_MOBILE)
    for code in ("", "12345", "1234567", "abcdef", "１２３４５６", "12 345"):
        page = await confirm_change(me, page, "mobile", code)
        refused(page, "settings.code_format")
    async with put.portal.sessionmaker() as db:
        assert (await db.scalar(select(OneTimeCode.attempts))) == 0
    assert (await fresh(put, put.account.id)).mobile == "13800138000"


async def test_wrong_code_is_refused_and_the_right_one_still_works(put, me):
    page = await start_change(me, "mobile", NEW_MOBILE)
    right = await code_sent_to(put, NEW_MOBILE)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    response = await confirm_change(me, page, "mobile", wrong)
    refused(response, "settings.code_wrong")
    assert 'id="code"' in response.text and f'<strong>{NEW_MOBILE}</strong>' in response.text
    assert (await fresh(put, put.account.id)).mobile == "13800138000"
    assert len(await audit_events(put, "account.mobile_change_failed")) == 1
    response = await confirm_change(me, response, "mobile", right)
    assert str(response.url).endswith("?done=mobile")
    assert (await fresh(put, put.account.id)).mobile == NEW_MOBILE


async def test_a_code_dies_after_too_many_wrong_attempts(put, me):
    page = await start_change(me, "mobile", NEW_MOBILE)
    right = await code_sent_to(put, NEW_MOBILE)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(put.settings.one_time_code_max_attempts):
        page = await confirm_change(me, page, "mobile", wrong)
        refused(page, "settings.code_wrong")
    refused(await confirm_change(me, page, "mobile", right), "settings.code_wrong")
    assert (await fresh(put, put.account.id)).mobile == "13800138000"


async def test_an_expired_code_is_refused(put, me):
    page = await start_change(me, "email", NEW_EMAIL)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(OneTimeCode).values(expires_at=clock.now() - dt.timedelta(seconds=1)))
    refused(await confirm_change(me, page, "email", await code_sent_to(put, NEW_EMAIL)), "settings.code_wrong")
    assert (await fresh(put, put.account.id)).email == "zhangsan@example.com"


async def test_an_expired_flow_is_refused(put, me):
    page = await start_change(me, "mobile", NEW_MOBILE)
    flow = hidden_fields(page.text)["flow"]
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Flow).values(expires_at=clock.now() - dt.timedelta(seconds=1)))
    response = await me.go(f"/space/settings/mobile?flow={flow}")
    assert response.status_code == 400 and "页面已过期" in response.text
    response = await confirm_change(me, page, "mobile", await code_sent_to(put, NEW_MOBILE))
    assert response.status_code == 400 and "页面已过期" in response.text
    assert (await fresh(put, put.account.id)).mobile == "13800138000"


async def test_a_finished_flow_cannot_be_replayed(put, me):
    page = await start_change(me, "mobile", NEW_MOBILE)
    code = await code_sent_to(put, NEW_MOBILE)
    await confirm_change(me, page, "mobile", code)
    response = await confirm_change(me, page, "mobile", code)
    assert response.status_code == 400 and "页面已过期" in response.text
    assert len(await audit_events(put, "account.mobile_changed")) == 1


async def test_the_number_taken_meanwhile_is_refused_at_the_code(put, me):
    page = await start_change(me, "mobile", NEW_MOBILE)
    await put.add_account("wangwu", name="王五", mobile=NEW_MOBILE)  # registered in between
    refused(await confirm_change(me, page, "mobile", await code_sent_to(put, NEW_MOBILE)), "settings.mobile_taken")
    assert (await fresh(put, put.account.id)).mobile == "13800138000"


async def test_the_unique_index_refuses_a_number_taken_in_the_same_instant(put, me, monkeypatch):
    """Between the check and the UPDATE another account may take the number: the database's
    unique index is the last word, and the user sees the same message."""
    page = await start_change(me, "mobile", NEW_MOBILE)
    await put.add_account("wangwu", name="王五", mobile=NEW_MOBILE)

    async def no_check(*_args):
        return None

    monkeypatch.setattr(transitions, "_check_not_taken", no_check)
    refused(await confirm_change(me, page, "mobile", await code_sent_to(put, NEW_MOBILE)), "settings.mobile_taken")
    account = await fresh(put, put.account.id)
    assert (account.mobile, account.personal_mobile, account.mobile_verified_at) == (
        "13800138000", digest_of(put, Account.personal_mobile, "13800138000"), None)


async def test_another_users_flow_is_not_theirs_to_finish(put, me):
    page = await start_change(me, "mobile", NEW_MOBILE)
    flow = hidden_fields(page.text)["flow"]
    code = await code_sent_to(put, NEW_MOBILE)
    lisi = await put.add_account("lisi", name="李四")
    # Another user logs in on the same browser, or the same user on another browser.
    same_browser = await signed_in(put, lisi, me)
    for browser in (same_browser, await signed_in(put, put.account)):
        response = await browser.go(f"/space/settings/mobile?flow={flow}")
        assert response.status_code == 400 and "页面已过期" in response.text
        fields = {**hidden_fields((await browser.go("/space/settings")).text), "flow": flow, "code": code}
        response = await browser.client.post("/space/settings/mobile/confirm", data=fields)
        assert response.status_code == 400 and "页面已过期" in response.text
    assert (await fresh(put, put.account.id)).mobile == "13800138000"
    assert (await fresh(put, lisi.id)).mobile != NEW_MOBILE


async def test_an_odd_flow_id_is_an_expired_page(put, me):
    csrf = hidden_fields((await me.go("/space/settings")).text)["csrf_token"]
    for flow in ("\x00", "nope", "a" * 300, ""):
        response = await me.client.get("/space/settings/email", params={"flow": flow} if flow else None)
        if flow:
            assert response.status_code == 400 and "页面已过期" in response.text, repr(flow)
        response = await me.client.post("/space/settings/email/confirm",
                                        data={"csrf_token": csrf, "flow": flow, "code": "123456"})
        assert response.status_code == 400 and "页面已过期" in response.text, repr(flow)


async def test_codes_are_not_sent_without_limit(put, me):
    for n in range(put.settings.code_sends_per_window):
        assert 'id="code"' in (await start_change(me, "mobile", f"1370000000{n}")).text
    refused(await start_change(me, "email", NEW_EMAIL), "code.too_many_sends",
            minutes=put.settings.code_send_window_seconds // 60)
    assert len(await all_messages(put)) == put.settings.code_sends_per_window


async def test_two_parallel_submissions_of_one_code_change_once(put, me):
    page = await start_change(me, "mobile", NEW_MOBILE)
    fields = {**hidden_fields(page.text), "code": await code_sent_to(put, NEW_MOBILE)}
    responses = await asyncio.gather(*(me.client.post("/space/settings/mobile/confirm", data=fields)
                                       for _ in range(2)))
    assert sorted(r.status_code for r in responses) != [303, 303]
    [won] = [r for r in responses if r.status_code == 303]
    assert won.headers["location"] == "/space/settings?done=mobile"
    [lost] = [r for r in responses if r is not won]
    # The loser either saw the flow finished or the code used.
    assert lost.status_code == 400 and "页面已过期" in lost.text or alert(lost.text) == text("settings.code_wrong")
    assert len(await audit_events(put, "account.mobile_changed")) == 1
    async with put.portal.sessionmaker() as db:
        assert (await db.scalar(select(OneTimeCode.consumed_at))) is not None
    assert (await fresh(put, put.account.id)).mobile == NEW_MOBILE


async def test_password_change_revokes_other_sessions_refresh_tokens_offline_ones_included(put, me):
    elsewhere = await signed_in(put, put.account)
    try:
        theirs = await code_flow(put, elsewhere, put.rp, "openid offline_access")
        mine = await code_flow(put, me, put.rp, "openid offline_access")
        await change_password(me, PASSWORD, NEW_PASSWORD)
        # A refresh token got with the old password elsewhere must not outlive it; this session's stays.
        assert (await refresh(put, put.rp, theirs["refresh_token"])).status_code == 400
        assert (await refresh(put, put.rp, mine["refresh_token"])).status_code == 200
    finally:
        await elsewhere.aclose()
