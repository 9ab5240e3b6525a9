"""实名等级升级 to 三级: a logged-in personal account at 二级 starts the stronger check, the CTID
stand-in shows a one-time confirmation on /dev/ctid (development only), the user types it in."""
from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select

from idp.accounts.models import Account
from idp.codes.models import OneTimeCode
from idp.sessions.models import UserSession
from idp.sessions.store import session_cookie_name, start_session
from shared.messages import text
from tests.support.portal import ISSUER, Browser, PortalUnderTest, running_portal
from tests.support.production import production_overrides
from tests.support.registration import alert, count, ctid_messages, events, latest_confirmation


async def signed_in(put: PortalUnderTest, account: Account) -> Browser:
    """A browser holding a login session of ``account`` (the login pages have their own tests)."""
    browser = Browser(put)
    async with put.portal.sessionmaker.begin() as db:
        token, _ = await start_session(db, put.settings, account, amr=["pwd"], acr="urn:zwfw:acr:password",
                                       source_ip="127.0.0.1")
    browser.client.cookies.set(session_cookie_name(put.settings), token, domain=ISSUER.split("//")[1], path="/")
    return browser


async def csrf_of(put: PortalUnderTest, account: Account) -> str:
    """The session's CSRF secret, as the pages embed it in their forms."""
    async with put.portal.reader() as db:
        return await db.scalar(select(UserSession.csrf_secret).where(UserSession.account_id == account.id))


async def level_of(put: PortalUnderTest, account: Account) -> int:
    async with put.portal.reader() as db:
        return (await db.get(Account, account.id)).realname_level


async def start(browser: Browser) -> httpx.Response:
    page = await browser.go("/upgrade")
    assert 'action="/upgrade"' in page.text, alert(page.text) or page.text[:300]
    return await browser.submit(page, "/upgrade")


async def test_a_level_two_account_upgrades_to_level_three_through_the_ctid_stand_in(put):
    browser = await signed_in(put, put.account)
    page = await browser.go("/upgrade")
    assert "实名等级：二级" in page.text and "开始认证" in page.text and 'href="/dev/ctid"' in page.text

    confirm = await browser.submit(page, "/upgrade")
    assert str(confirm.url).startswith(f"{ISSUER}/upgrade?flow=") and 'id="confirmation"' in confirm.text
    [sent] = await ctid_messages(put)
    assert sent.recipient == "张三（1100**********0133）"
    confirmation = await latest_confirmation(put)
    ctid_app = await browser.go("/dev/ctid")
    assert "张三（1100**********0133）" in ctid_app.text and confirmation in ctid_app.text
    async with put.portal.reader() as db:
        [code] = (await db.scalars(select(OneTimeCode))).all()
    assert (code.purpose, code.channel) == ("upgrade", "ctid")
    assert confirmation not in code.code_digest, "only a digest is stored"

    done = await browser.submit(confirm, "/upgrade/confirm", confirmation=confirmation)
    assert str(done.url) == f"{ISSUER}/upgrade/done" and "升级成功" in done.text and "实名等级：三级" in done.text
    assert await level_of(put, put.account) == 3
    [started] = await events(put, "realname.upgrade_started")
    [upgraded] = await events(put, "realname.upgraded")
    assert started.actor == upgraded.actor == put.account.subject
    assert upgraded.details == {"method": "ctid", "from_level": 2, "to_level": 3}
    assert upgraded.subject == put.account.subject

    replay = await browser.submit(confirm, "/upgrade/confirm", confirmation=confirmation)
    assert "页面已过期" in replay.text
    assert len(await events(put, "realname.upgraded")) == 1
    await browser.aclose()


async def test_an_account_at_level_three_is_told_so_and_nothing_is_sent(put):
    account = await put.add_account("lisan", name="李三", id_number="110000196501010024", realname_level=3)
    browser = await signed_in(put, account)
    page = await browser.go("/upgrade")
    assert alert(page.text) == text("upgrade.already") and "实名等级：三级" in page.text
    assert 'action="/upgrade"' not in page.text
    refused = await browser.go("/upgrade", method="POST", data={"csrf_token": await csrf_of(put, account)})
    assert alert(refused.text) == text("upgrade.already")
    assert await ctid_messages(put) == [] and not await events(put, "realname.upgrade_started")
    await browser.aclose()


async def test_only_personal_accounts_at_level_two_may_upgrade(put):
    legal = await put.add_account("qiye", account_type="legal_person", name="李四", realname_level=2,
                                  enterprise_name="示例医疗器械有限公司", credit_code="91110105PDY0001752")
    unverified = await put.add_account("weishiming", name="王五", realname_level=0)
    for account in (legal, unverified):
        browser = await signed_in(put, account)
        page = await browser.go("/upgrade")
        assert alert(page.text) == text("upgrade.not_eligible"), account.username
        refused = await browser.go("/upgrade", method="POST", data={"csrf_token": await csrf_of(put, account)})
        assert alert(refused.text) == text("upgrade.not_eligible")
        await browser.aclose()
    assert await ctid_messages(put) == []


async def test_a_wrong_confirmation_is_refused_and_only_a_few_attempts_count(put):
    browser = await signed_in(put, put.account)
    confirm = await start(browser)
    confirmation = await latest_confirmation(put)
    wrong = f"{(int(confirmation) + 1) % 10**6:06d}"
    for typed, message_id in (("", "upgrade.code_required"), ("12345", "upgrade.code_format"),
                              ("12345a", "upgrade.code_format")):
        page = await browser.submit(confirm, "/upgrade/confirm", confirmation=typed)
        assert alert(page.text) == text(message_id), typed
        assert 'action="/upgrade/confirm"' in page.text
    for _ in range(put.settings.one_time_code_max_attempts):
        page = await browser.submit(confirm, "/upgrade/confirm", confirmation=wrong)
        assert alert(page.text) == text("upgrade.code_wrong")
    assert len(await events(put, "realname.upgrade_failed")) == put.settings.one_time_code_max_attempts
    # The attempts are used up: even the right confirmation no longer works; a new start does.
    late = await browser.submit(confirm, "/upgrade/confirm", confirmation=confirmation)
    assert alert(late.text) == text("upgrade.code_wrong")
    assert await level_of(put, put.account) == 2

    again = await start(browser)
    done = await browser.submit(again, "/upgrade/confirm", confirmation=await latest_confirmation(put))
    assert "升级成功" in done.text and await level_of(put, put.account) == 3
    await browser.aclose()


async def test_parallel_confirmations_upgrade_once(put):
    browser = await signed_in(put, put.account)
    confirm = await start(browser)
    confirmation = await latest_confirmation(put)
    pages = await asyncio.gather(*(browser.submit(confirm, "/upgrade/confirm", confirmation=confirmation)
                                   for _ in range(5)))
    assert sum("升级成功" in p.text for p in pages) == 1
    assert len(await events(put, "realname.upgraded")) == 1 and await level_of(put, put.account) == 3
    await browser.aclose()


async def test_upgrade_needs_a_login_session(put):
    browser = Browser(put)
    for method in ("GET", "POST"):
        response = await browser.client.request(method, "/upgrade")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?window=personal&return_to=/upgrade"
    await browser.aclose()


async def test_forms_carry_csrf_tokens_and_the_flow_belongs_to_its_account_and_browser(put):
    browser = await signed_in(put, put.account)
    forged = await browser.go("/upgrade", method="POST", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and await ctid_messages(put) == []

    confirm = await start(browser)
    confirmation = await latest_confirmation(put)
    wrong_token = await browser.submit(confirm, "/upgrade/confirm", confirmation=confirmation, csrf_token="x")
    assert wrong_token.status_code == 403

    # Another user, in a browser of their own, cannot confirm this account's upgrade ...
    other = await put.add_account("wangwu", name="王五", id_number="31000019920229024X", realname_level=2)
    stranger = await signed_in(put, other)
    stolen = await stranger.submit(confirm, "/upgrade/confirm", confirmation=confirmation)
    assert "页面已过期" in stolen.text
    # ... nor after logging in on this browser.
    async with put.portal.sessionmaker.begin() as db:
        token, _ = await start_session(db, put.settings, other, amr=["pwd"], acr="urn:zwfw:acr:password",
                                       source_ip=None)
    browser.client.cookies.set(session_cookie_name(put.settings), token, domain=ISSUER.split("//")[1], path="/")
    switched = await browser.submit(confirm, "/upgrade/confirm", confirmation=confirmation)
    assert "页面已过期" in switched.text
    assert await level_of(put, put.account) == 2 and await level_of(put, other) == 2
    await browser.aclose()
    await stranger.aclose()


async def test_production_has_no_ctid_stand_in(database_url, tmp_path):
    production = production_overrides(tmp_path)
    async with running_portal(database_url, **production) as put:
        account = await put.add_account("zhangsan", id_number="110000198506120133", realname_level=2)
        browser = await signed_in(put, account)
        assert (await browser.go("/dev/ctid")).status_code == 404
        page = await browser.go("/upgrade")
        assert alert(page.text) == text("upgrade.unavailable") and 'action="/upgrade"' not in page.text
        refused = await browser.go("/upgrade", method="POST", data={"csrf_token": await csrf_of(put, account)})
        assert alert(refused.text) == text("upgrade.unavailable")
        assert await count(put, OneTimeCode) == 0
        await browser.aclose()


async def test_a_sixth_start_within_ten_minutes_is_refused_and_sends_nothing(put):
    browser = await signed_in(put, put.account)
    for _ in range(put.settings.code_sends_per_window):
        assert 'id="confirmation"' in (await start(browser)).text
    refused = await start(browser)
    assert refused.status_code == 200 and alert(refused.text) == text("code.too_many_sends", minutes=10)
    assert 'action="/upgrade"' in refused.text  # 开始认证 again once the wait is over
    assert len(await ctid_messages(put)) == put.settings.code_sends_per_window
    assert len(await events(put, "realname.upgrade_started")) == put.settings.code_sends_per_window
    await browser.aclose()
