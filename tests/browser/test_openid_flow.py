"""A business system's login through the portal, end to end in a real browser."""
from __future__ import annotations

from tests.browser.relying_party import RelyingParty, serving
from tests.browser.steps import ON_BROWSER_LOOP, log_in
from tests.support.live import free_port, register_account, register_client

pytestmark = ON_BROWSER_LOOP


async def test_business_system_login_through_the_portal(page, portal, shot):
    account = await register_account(portal.database_url, "zhangsan", account_type="personal", id_type="居民身份证",
                                     id_number="110000198506120133", realname_level=2)
    port = free_port()
    rp = RelyingParty(issuer=portal.process.issuer, scope="openid profile")
    # Not first-party: the portal asks the user's consent before releasing the profile.
    rp.client = await register_client(portal.database_url, "browser-rp", rp_base=f"http://127.0.0.1:{port}",
                                      first_party=False)
    async with serving(rp, port):
        await page.goto(f"http://127.0.0.1:{port}/")
        await shot(page, "business-system")
        await page.click("#login")
        await page.wait_for_url(f"{portal.url}/login**")
        await shot(page, "portal-login")
        await log_in(page, "zhangsan")
        await page.wait_for_url(f"{portal.url}/consent?*")
        await shot(page, "consent")
        assert "测试应用 browser-rp" in await page.inner_text("main")
        await page.get_by_role("button", name="同意授权").click()
        await page.wait_for_url(f"http://127.0.0.1:{port}/cb?*")
        await shot(page, "back-at-business-system")
        assert await page.inner_text("#signed-in") == "已登录：张三"
    (login,) = rp.logins
    assert login.id_token_claims["sub"] == account.subject == login.userinfo["sub"]
    assert login.id_token_claims["iss"] == portal.process.issuer
