"""response_mode=form_post in a real browser: the portal's page POSTs the answer to the business
system by itself under the portal's Content-Security-Policy, and with JavaScript off the user
presses 继续."""
from __future__ import annotations

from tests.browser.relying_party import RelyingParty, serving
from tests.browser.steps import ON_BROWSER_LOOP, log_in
from tests.support.live import free_port, register_account, register_client

pytestmark = ON_BROWSER_LOOP


async def test_form_post_with_and_without_javascript(page, portal, shot, chromium):
    await register_account(portal.database_url, "zhangsan", account_type="personal", id_type="居民身份证",
                           id_number="110000198506120133", realname_level=2)
    port = free_port()
    rp = RelyingParty(issuer=portal.process.issuer, scope="openid profile", response_mode="form_post")
    rp.client = await register_client(portal.database_url, "post-rp", rp_base=f"http://127.0.0.1:{port}")
    async with serving(rp, port):
        await page.goto(f"http://127.0.0.1:{port}/login")
        await page.wait_for_url(f"{portal.url}/login**")
        await log_in(page, "zhangsan")
        await page.wait_for_url(f"http://127.0.0.1:{port}/cb")  # a POST: no query
        await shot(page, "posted-with-javascript")
        assert await page.inner_text("#signed-in") == "已登录：张三"

        context = await chromium.new_context(base_url=portal.url, locale="zh-CN", java_script_enabled=False,
                                             viewport={"width": 1280, "height": 900})
        try:
            still = await context.new_page()
            await still.goto(f"http://127.0.0.1:{port}/login")
            await log_in(still, "zhangsan")
            await still.get_by_role("button", name="继续").wait_for()
            assert still.url.startswith(f"{portal.url}/")
            await shot(still, "form-post-page-without-javascript")
            await still.get_by_role("button", name="继续").click()
            await still.wait_for_url(f"http://127.0.0.1:{port}/cb")
            assert await still.inner_text("#signed-in") == "已登录：张三"
        finally:
            await context.close()
    assert [login.id_token_claims["acr"] for login in rp.logins] == ["urn:zwfw:acr:realname:level-2"] * 2
