"""国家政务服务平台账号登录 in a real browser, from both login windows: the stand-in (the portal's
own provider as a second deployment, on localhost) beside a portal process (on 127.0.0.1) that
names it as its upstream. 个人登录: a first login that creates the account; 法人登录: a first
login that links the existing legal-person account by its password; 账号设置 shows the link."""
from __future__ import annotations

import contextlib
from types import SimpleNamespace

from playwright.async_api import Page, expect

from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP, another_browser, choose_window
from tests.support import live
from tests.support.live import free_port, register_account
from tests.support.portal import PASSWORD
from tests.support.upstream import CLIENT_ID, running_upstream

pytestmark = ON_BROWSER_LOOP
CREDIT_CODE = "91110105PDY0001752"


@contextlib.asynccontextmanager
async def portal_with_upstream(databases, tmp_path):
    port = free_port()
    (tmp_path / "upstream").mkdir()
    async with running_upstream(tmp_path / "upstream", portal_base=f"http://127.0.0.1:{port}") as upstream:
        database_url = await databases.fresh()
        process = await live.start(database_url, tmp_path, port=port, IDP_AUTO_MIGRATE="false",
                                   IDP_CAPTCHA_PROVIDER="test", IDP_UPSTREAM_DISCOVERY_URL=upstream.discovery_url,
                                   IDP_UPSTREAM_CLIENT_ID=CLIENT_ID, IDP_UPSTREAM_CLIENT_SECRET=upstream.client_secret)
        try:
            yield SimpleNamespace(url=process.url, database_url=database_url, upstream=upstream)
        finally:
            await live.stop(process)
            databases.release(database_url)


async def log_in_upstream(page: Page, shot, username: str, window: str, name: str) -> None:
    """At the stand-in: its own name in the header, its login window, then 同意授权 (the ID number)."""
    await page.wait_for_url("http://localhost:*/login**")
    await expect(page.locator("#site-name")).to_have_text("国家政务服务平台")
    await choose_window(page, window)
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.fill("#captcha", CAPTCHA)
    await shot(page, f"{name}-upstream-login")
    await page.click("#submit")
    await page.wait_for_load_state()
    if await page.locator("button[value=allow]").count():
        await shot(page, f"{name}-upstream-consent")
        await page.click("button[value=allow]")
    await page.wait_for_url("**/upstream/first?flow=*")


async def test_upstream_login_from_both_windows(chromium, databases, tmp_path, shot, console_errors):
    async with portal_with_upstream(databases, tmp_path) as site:
        await site.upstream.add_person("gov_zhaoliu", "110101199003071233", name="赵六", level=3)
        await site.upstream.add_enterprise("gov_qiye", CREDIT_CODE, "示例医疗器械有限公司")
        await register_account(site.database_url, "demo_enterprise", account_type="legal_person", name="李四",
                               enterprise_name="示例医疗器械有限公司", credit_code=CREDIT_CODE, id_type="居民身份证",
                               id_number="330000197001010023", realname_level=2)

        async with another_browser(chromium, site, console_errors) as page:  # 个人登录: a new account
            await page.goto("/login?window=personal")
            await expect(page.locator("#other-ways")).to_contain_text("其他方式登录")
            await shot(page, "personal-login-window")
            await page.click("#upstream-login")
            await log_in_upstream(page, shot, "gov_zhaoliu", "personal", "personal")
            await expect(page.locator("#vouched-name")).to_have_text("赵六")
            await expect(page.locator("#vouched-level")).to_have_text("三级")
            await page.fill("#username", "zhaoliu")
            await page.fill("#password", "Zhao@2026liu")
            await page.fill("#password_confirm", "Zhao@2026liu")
            await shot(page, "personal-first-login-create")
            await page.click("#create-submit")
            await page.wait_for_url(f"{site.url}/space")
            await shot(page, "personal-space")
            await page.goto("/space/settings")
            await expect(page.locator("#profile-upstream")).to_contain_text("已关联")
            await shot(page, "personal-settings")

        async with another_browser(chromium, site, console_errors) as page:  # 法人登录: link by password
            await page.goto("/login?window=legal")
            await shot(page, "legal-login-window")
            await page.click("#upstream-login")
            await log_in_upstream(page, shot, "gov_qiye", "legal", "legal")
            await expect(page.locator("#candidate-username")).to_have_text("demo_enterprise")
            await expect(page.locator("#vouched-credit-code")).to_have_text(CREDIT_CODE)
            await page.fill("#password", PASSWORD)
            await shot(page, "legal-first-login-link")
            await page.click("#link-submit")
            await page.wait_for_url(f"{site.url}/space")
            await shot(page, "legal-space")
            await page.goto("/space/settings/upstream")
            await expect(page.locator("#upstream-linked")).to_be_visible()
            await shot(page, "legal-settings-upstream")
