"""账号设置 › 登录设备 (ASVS 5.0 V7.5.2): the account's live sessions with device, address, login
time, last activity and the business systems reached; 退出 one other session or 退出其他所有设备,
each ending it everywhere with a back-channel logout to the systems it reached."""
import asyncio
import re
from html import unescape

from sqlalchemy import select

from idp.oidc.models import LogoutDelivery
from idp.sessions.devices import describe_device
from idp.sessions.models import UserSession
from shared.messages import text
from tests.support.portal import Browser, hidden_fields
from tests.support.signin import audit_events, received_tokens, settle_backchannel
from tests.support.space import signed_in
from tests.support.tokens import code_flow, userinfo

CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Safari/537.36")
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/17.5 Mobile/15E148 Safari/604.1")
PAGE = "/space/settings/devices"
ROW = re.compile(r'<tr id="device-\d+"[^>]*>(.*?)</tr>', re.S)
END = re.compile(r'action="/space/settings/devices/([^"/]+)/end"')


async def logged_in(put, user_agent: str, username: str = "zhangsan") -> Browser:
    """A browser that logged in through the login page, sending ``user_agent``."""
    browser = Browser(put)
    browser.client.headers["user-agent"] = user_agent
    page = await browser.go("/login")
    await browser.login(page, username)
    assert (await browser.client.get("/space")).status_code == 200
    return browser


async def sids_of(put, account_id: int) -> set[str]:
    async with put.portal.reader() as db:
        return set((await db.scalars(select(UserSession.sid).where(
            UserSession.account_id == account_id, UserSession.ended_at.is_(None)))).all())


def rows(page) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", " ", row)) for row in ROW.findall(page.text)]


def test_the_device_is_read_from_the_user_agent():
    assert describe_device(CHROME_WINDOWS) == "Chrome · Windows"
    assert describe_device(SAFARI_IPHONE) == "Safari · iOS"
    assert describe_device("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) "
                           "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0") == "Edge · macOS"
    assert describe_device("Mozilla/5.0 (Linux; Android 14; V2307A) AppleWebKit/537.36 (KHTML, like Gecko) "
                           "Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.47") == "微信 · Android"
    assert describe_device("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0") == \
        "Firefox · Linux"
    assert describe_device("") == describe_device(None) == "未知设备"


async def test_the_page_lists_each_live_session_with_its_device_and_systems(put):
    here = await logged_in(put, CHROME_WINDOWS)
    phone = await logged_in(put, SAFARI_IPHONE)
    other_user = await signed_in(put, await put.add_account("lisi", name="李四"))
    try:
        await code_flow(put, phone, put.rp, "openid profile")
        page = await here.go("/space/settings")
        assert 'href="/space/settings/devices"' in page.text
        page = await here.go(PAGE)
        assert page.status_code == 200 and "<h2>登录设备</h2>" in page.text
        listed = rows(page)
        assert len(listed) == 2  # lisi's session is not zhangsan's
        mine = next(row for row in listed if "当前设备" in row)
        theirs = next(row for row in listed if "当前设备" not in row)
        assert "Chrome · Windows" in mine and "测试应用" not in mine
        assert "Safari · iOS" in theirs and "测试应用 rp" in theirs and "127.0.0.1" in theirs
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", theirs)
        assert len(END.findall(page.text)) == 1  # no 退出 button for the current device
        assert 'id="end-others"' in page.text
    finally:
        for browser in (here, phone, other_user):
            await browser.aclose()


async def test_ending_one_session_logs_it_out_of_the_portal_and_the_systems(put):
    here = await logged_in(put, CHROME_WINDOWS)
    phone = await logged_in(put, SAFARI_IPHONE)
    try:
        tokens = await code_flow(put, phone, put.rp, "openid profile")
        await settle_backchannel(put)
        page = await here.go(PAGE)
        [sid] = END.findall(page.text)
        done = await here.submit(page, f"{PAGE}/{sid}/end")
        assert str(done.url).endswith(f"{PAGE}?done=one") and text("settings.device_ended") in done.text
        assert len(rows(done)) == 1
        gone = await phone.client.get("/space")
        assert gone.status_code == 303 and gone.headers["location"] == "/login"
        assert (await here.client.get("/space")).status_code == 200
        assert (await userinfo(put, tokens["access_token"])).status_code == 401
        async with put.portal.reader() as db:
            [delivery] = (await db.scalars(select(LogoutDelivery))).all()
        assert delivery.client_id == put.rp.client_id
        await settle_backchannel(put)
        assert len(received_tokens(put, "rp.rp.example.test")) == 1
        [event] = await audit_events(put, "session.logout")
        assert event.details["sid"] == sid and event.details["reason"] == "ended_from_devices"
    finally:
        await here.aclose()
        await phone.aclose()


async def test_ending_all_others_keeps_only_this_session(put):
    here = await logged_in(put, CHROME_WINDOWS)
    others = [await logged_in(put, SAFARI_IPHONE), await signed_in(put, put.account)]
    other_user = await signed_in(put, await put.add_account("lisi", name="李四"))
    lisi = put.account.id + 1
    try:
        await code_flow(put, others[0], put.rp, "openid")
        before_lisi = await sids_of(put, lisi)
        page = await here.go(PAGE)
        assert len(rows(page)) == 3
        done = await here.submit(page, f"{PAGE}/end-others")
        assert text("settings.devices_ended") in done.text and len(rows(done)) == 1
        assert len(await sids_of(put, put.account.id)) == 1
        for browser in others:
            assert (await browser.client.get("/space")).status_code == 303
        assert (await here.client.get("/space")).status_code == 200
        assert await sids_of(put, lisi) == before_lisi and (await other_user.client.get("/space")).status_code == 200
        await settle_backchannel(put)
        assert len(received_tokens(put, "rp.rp.example.test")) == 1
    finally:
        for browser in (here, *others, other_user):
            await browser.aclose()


async def test_another_accounts_session_or_a_forged_post_is_refused_and_ends_nothing(put):
    here = await logged_in(put, CHROME_WINDOWS)
    lisi = await put.add_account("lisi", name="李四")
    other_user = await signed_in(put, lisi)
    try:
        [lisi_sid] = await sids_of(put, lisi.id)
        page = await here.go(PAGE)
        for sid in (lisi_sid, "no-such-session"):
            refused = await here.submit(page, f"{PAGE}/{sid}/end")
            assert refused.status_code == 404 and "该登录设备不存在或已退出" in refused.text
        assert await sids_of(put, lisi.id) == {lisi_sid}
        assert (await other_user.client.get("/space")).status_code == 200
        # Without the page's CSRF secret nothing ends either.
        mine = await sids_of(put, put.account.id)
        own = await signed_in(put, put.account)
        [own_sid] = await sids_of(put, put.account.id) - mine
        for action in (f"{PAGE}/{own_sid}/end", f"{PAGE}/end-others"):
            forged = await here.client.post(action, data={"csrf_token": "forged"})
            assert forged.status_code == 403
        assert (await own.client.get("/space")).status_code == 200
        assert await audit_events(put, "session.logout") == []
        await own.aclose()
    finally:
        await here.aclose()
        await other_user.aclose()


async def test_parallel_ends_of_one_session_end_it_once(put):
    here = await logged_in(put, CHROME_WINDOWS)
    phone = await logged_in(put, SAFARI_IPHONE)
    try:
        await code_flow(put, phone, put.rp, "openid")
        page = await here.go(PAGE)
        [sid] = END.findall(page.text)
        fields = hidden_fields(page.text)
        responses = await asyncio.gather(*(here.client.post(f"{PAGE}/{sid}/end", data=fields) for _ in range(5)))
        assert all(response.status_code in (303, 404) for response in responses)
        assert any(response.status_code == 303 for response in responses)
        assert len(await audit_events(put, "session.logout")) == 1
        async with put.portal.reader() as db:
            assert len((await db.scalars(select(LogoutDelivery))).all()) == 1
    finally:
        await here.aclose()
        await phone.aclose()
