"""Signing in to the staff console (idp.staff.signin, idp.web.staff.login): password and
captcha, then TOTP — enrolment on the first sign-in, wrong and replayed codes refused — the
lockout, the console's own cookie and its idle timeout, logout, and the audit of every attempt."""
from __future__ import annotations

import asyncio
import datetime as dt
import re
from html import unescape

import pyotp
import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from idp.audit.models import AuditEvent
from idp.maintenance import purge_expired
from idp.staff.models import StaffAccount, StaffSession
from idp.staff.roles import ADMIN, HELPDESK
from tests.support.signin import audit_events
from tests.support.staff import (
    STAFF_PASSWORD,
    add_staff,
    alert,
    fresh_code,
    post_code,
    post_password,
    staff_sign_in,
)

WRONG_CODE = "动态验证码错误，请输入验证器当前显示的6位数字"
REPLAYED = "该动态验证码已使用过，请等待验证器显示新的验证码后再输入"


@pytest.fixture
async def staff_client(put):
    async with put.http() as client:
        yield client


async def test_password_then_code_signs_in_with_the_consoles_own_cookie(put, staff_client):
    secret = await add_staff(put, "liuyi", [HELPDESK])
    await staff_sign_in(staff_client, "liuyi", secret=secret)
    home = await staff_client.get("/staff")
    assert home.status_code == 200 and "工作人员liuyi" in home.text
    cookie = next(c for c in staff_client.cookies.jar if c.name == "staff_session")
    assert cookie.path == "/staff" and cookie.secure and cookie.has_nonstandard_attr("HttpOnly")
    # A portal login session is another cookie: the console's never opens the space.
    assert (await staff_client.get("/space")).headers["location"].startswith("/login")
    [event] = await audit_events(put, "staff.login.succeeded")
    assert event.actor == "staff:liuyi"


async def test_set_cookie_is_strict_and_http_only(put, staff_client):
    page = await staff_client.get("/staff/login")
    header = page.headers["set-cookie"].lower()
    assert "staff_session=" in header and "samesite=strict" in header and "httponly" in header
    assert "path=/staff" in header and "secure" in header


async def test_without_a_session_the_console_sends_to_its_sign_in(put, staff_client):
    response = await staff_client.get("/staff")
    assert response.status_code == 303 and response.headers["location"] == "/staff/login"
    # The code step needs the password step first.
    assert (await staff_client.get("/staff/login/totp")).headers["location"] == "/staff/login"


async def test_wrong_password_and_unknown_name_are_one_message_and_audited(put, staff_client):
    await add_staff(put, "liuyi", [HELPDESK])
    for username, password in (("liuyi", "Wrong@2026pass"), ("nobody", STAFF_PASSWORD)):
        response = await post_password(staff_client, username, password)
        assert response.status_code == 400 and alert(response) == "输入的用户名或密码错误"
    reasons = [(e.actor, e.details["reason"]) for e in await audit_events(put, "staff.login.failed")]
    assert reasons == [("staff:liuyi", "wrong_password"), ("staff:nobody", "unknown_username")]


async def test_a_portal_account_is_not_a_staff_member(put, staff_client):
    response = await post_password(staff_client, "zhangsan", "Test@2026pass")
    assert alert(response) == "输入的用户名或密码错误"


async def test_captcha_is_checked(put, staff_client):
    await add_staff(put, "liuyi", [HELPDESK])
    response = await post_password(staff_client, "liuyi", captcha="WRONG")
    assert alert(response) == "图形验证码错误，请重新输入"


async def test_a_form_without_its_csrf_token_is_refused(put, staff_client):
    await add_staff(put, "liuyi", [HELPDESK])
    await staff_client.get("/staff/login")
    response = await staff_client.post("/staff/login", data={"username": "liuyi", "password": STAFF_PASSWORD,
                                                             "captcha": "TEST", "csrf_token": "forged"})
    assert response.status_code == 403


async def test_enrolment_shows_a_qr_code_and_counts_only_after_a_valid_code(put, staff_client):
    await add_staff(put, "xinren", [HELPDESK], enrolled=False)
    response = await post_password(staff_client, "xinren")
    assert response.headers["location"] == "/staff/login/totp"
    page = await staff_client.get("/staff/login/totp")
    assert "绑定动态验证码" in page.text and 'src="data:image/svg+xml;base64,' in page.text
    secret = unescape(re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page.text).group(1))
    # A reload shows the same secret (a second tab does not start another enrolment).
    assert secret in (await staff_client.get("/staff/login/totp")).text

    wrong = await post_code(staff_client, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111", page)
    assert wrong.status_code == 400 and alert(wrong) == WRONG_CODE
    async with put.portal.reader() as db:
        account = await db.scalar(select(StaffAccount).where(StaffAccount.username == "xinren"))
    assert account.totp_enrolled_at is None and secret not in account.totp_secret_encrypted  # stored encrypted

    done = await post_code(staff_client, await fresh_code(secret))
    assert done.status_code == 303 and done.headers["location"] == "/staff"
    assert len(await audit_events(put, "staff.totp_enrolled")) == 1
    # Enrolled: the next sign-in asks for a code, without the QR code.
    async with put.http() as other:
        await post_password(other, "xinren")
        page = await other.get("/staff/login/totp")
        assert "totp-qr" not in page.text and "请输入验证器应用当前显示的6位动态验证码" in page.text


async def test_a_replayed_code_is_refused(put, staff_client):
    secret = await add_staff(put, "liuyi", [HELPDESK])
    code = await fresh_code(secret)
    await post_password(staff_client, "liuyi")
    assert (await post_code(staff_client, code)).headers["location"] == "/staff"
    async with put.http() as other:
        await post_password(other, "liuyi")
        replayed = await post_code(other, code)
        assert replayed.status_code == 400 and alert(replayed) == REPLAYED
        assert (await other.get("/staff")).status_code == 303  # not signed in
    [failed] = await audit_events(put, "staff.login.failed")
    assert failed.details["reason"] == "replayed_code"


async def test_an_older_code_than_the_last_accepted_is_refused(put, staff_client):
    secret = await add_staff(put, "liuyi", [HELPDESK])
    generator = pyotp.TOTP(secret)
    now = dt.datetime.now(dt.UTC)
    previous = generator.at(now - dt.timedelta(seconds=30))
    await post_password(staff_client, "liuyi")
    assert (await post_code(staff_client, generator.at(now))).headers["location"] == "/staff"
    async with put.http() as other:
        await post_password(other, "liuyi")
        assert alert(await post_code(other, previous)) == REPLAYED


async def test_the_same_code_posted_twice_at_once_signs_in_once(put):
    secret = await add_staff(put, "liuyi", [HELPDESK])
    clients = [put.http() for _ in range(2)]
    try:
        pages = []
        for client in clients:
            await post_password(client, "liuyi")
            pages.append(await client.get("/staff/login/totp"))
        code = await fresh_code(secret)
        answers = await asyncio.gather(*(post_code(c, code, p) for c, p in zip(clients, pages, strict=True)))
        assert sorted(a.status_code for a in answers) == [303, 400]
        assert [alert(a) for a in answers if a.status_code == 400] == [REPLAYED]
        signed_in = [(await c.get("/staff")).status_code for c in clients]
        assert sorted(signed_in) == [200, 303]
    finally:
        for client in clients:
            await client.aclose()
    assert len(await audit_events(put, "staff.login.succeeded")) == 1


async def test_wrong_codes_count_toward_the_lockout(put, staff_client):
    put.settings.lockout_threshold = 3
    secret = await add_staff(put, "liuyi", [HELPDESK])
    assert alert(await post_password(staff_client, "liuyi", "Wrong@2026pass")) == "输入的用户名或密码错误"
    await post_password(staff_client, "liuyi")
    bad = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    assert alert(await post_code(staff_client, bad)) == WRONG_CODE
    locked = await post_code(staff_client, bad)
    assert "账号已被锁定" in alert(locked)
    # Locked: even the right code and the right password are refused now.
    assert "账号已被锁定" in alert(await post_code(staff_client, await fresh_code(secret)))
    async with put.http() as other:
        assert "账号已被锁定" in alert(await post_password(other, "liuyi"))
    [lock] = await audit_events(put, "staff.locked")
    assert lock.actor == "staff:liuyi" and lock.details["failures"] == 3
    reasons = [e.details["reason"] for e in await audit_events(put, "staff.login.failed")]
    assert reasons == ["wrong_password", "wrong_code", "wrong_code", "locked", "locked"]


async def test_parallel_wrong_passwords_lock_exactly_once(put):
    put.settings.lockout_threshold = 3
    await add_staff(put, "liuyi", [HELPDESK])
    clients = [put.http() for _ in range(5)]
    try:
        pages = [await c.get("/staff/login") for c in clients]
        await asyncio.gather(*(post_password(c, "liuyi", "Wrong@2026pass", p) for c, p in zip(clients, pages,
                                                                                               strict=True)))
    finally:
        for client in clients:
            await client.aclose()
    assert len(await audit_events(put, "staff.locked")) == 1


async def test_a_session_idle_too_long_has_ended(put, staff_client):
    secret = await add_staff(put, "liuyi", [HELPDESK])
    await staff_sign_in(staff_client, "liuyi", secret=secret)
    idle = dt.timedelta(seconds=put.settings.staff_session_idle_seconds + 1)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(StaffSession).values(last_seen_at=dt.datetime.now(dt.UTC) - idle))
    assert (await staff_client.get("/staff")).headers["location"] == "/staff/login"


async def test_logout_ends_the_session(put, staff_client):
    secret = await add_staff(put, "liuyi", [ADMIN])
    await staff_sign_in(staff_client, "liuyi", secret=secret)
    home = await staff_client.get("/staff")
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)
    stolen = staff_client.cookies.get("staff_session")
    response = await staff_client.post("/staff/logout", data={"csrf_token": token})
    assert response.headers["location"] == "/staff/login"
    async with put.http() as other:
        other.cookies.set("staff_session", stolen, domain="op.example.test", path="/staff")
        assert (await other.get("/staff")).status_code == 303
    assert [e.actor for e in await audit_events(put, "staff.logout")] == ["staff:liuyi"]


async def test_every_attempt_is_audited_with_the_source_address(put, staff_client):
    secret = await add_staff(put, "liuyi", [HELPDESK])
    await staff_sign_in(staff_client, "liuyi", secret=secret)
    async with put.portal.reader() as db:
        events = (await db.scalars(select(AuditEvent).where(AuditEvent.event.like("staff.login%")))).all()
    assert events and all(e.source_ip for e in events)


async def test_sessions_idle_past_the_timeout_are_purged(put, staff_client):
    secret = await add_staff(put, "liuyi", [HELPDESK])
    await staff_client.get("/staff/login")  # an abandoned sign-in page
    async with put.http() as other:
        await staff_sign_in(other, "liuyi", secret=secret)
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=put.settings.staff_session_idle_seconds, hours=2)
        async with put.portal.sessionmaker.begin() as db:
            await db.execute(update(StaffSession).where(StaffSession.staff_id.is_(None)).values(last_seen_at=long_ago))
        await purge_expired(put.portal)
        async with put.portal.reader() as db:
            assert [s.stage for s in (await db.scalars(select(StaffSession))).all()] == ["active"]
        assert (await other.get("/staff")).status_code == 200


async def test_a_secret_sealed_with_another_key_asks_for_a_reset(put, staff_client):
    secret = await add_staff(put, "liuyi", [HELPDESK])
    put.settings.key_encryption_key = SecretStr("another key-encryption key, 32 characters or more")
    await post_password(staff_client, "liuyi")
    response = await post_code(staff_client, await fresh_code(secret))
    assert response.status_code == 400 and alert(response) == "动态验证码无法校验，请联系管理员重置您的动态验证码"


async def test_a_member_added_to_the_database_by_url_signs_in(put, database_url, staff_client):
    # How tests of a live portal process add an enrolled member (tests/support/staff.py).
    secret = await add_staff(database_url, "liuyi", [HELPDESK])
    await staff_sign_in(staff_client, "liuyi", secret=secret)
