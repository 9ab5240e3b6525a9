"""The operator console (运维) in real browsers: a user is logged in to the portal; an operator
signs in to /staff (password and TOTP computed with pyotp), rotates a business system's client
secret (shown once, gone on the next page), disables another system, finds the user's session by
username and ends it; the user's next page asks for a login again."""
from __future__ import annotations

import re

from playwright.async_api import expect

from idp.staff.roles import OPERATOR
from tests.browser.steps import ON_BROWSER_LOOP, another_browser, log_in, staff_sign_in
from tests.support.live import register_account
from tests.support.staff import add_staff

pytestmark = ON_BROWSER_LOOP


async def test_an_operator_rotates_a_secret_disables_a_client_and_ends_a_users_session(page, portal, chromium, shot,
                                                                                       console_errors):
    await register_account(portal.database_url, "zhangsan", account_type="personal")
    await page.goto("/space")
    await log_in(page, "zhangsan")
    await page.goto("/space")
    await expect(page).to_have_url(re.compile(r"/space$"))
    await shot(page, "user-logged-in")

    secret = await add_staff(portal.database_url, "yunwei01", OPERATOR, name="运维人员")
    async with another_browser(chromium, portal, console_errors) as desk:
        await staff_sign_in(desk, "yunwei01", secret)
        await expect(desk.locator(".staff-menu a")).to_have_text(["首页", "运维"])
        await desk.click("#menu-operator")
        await desk.wait_for_url("**/staff/ops")
        await expect(desk.locator("#client-udi .state")).to_have_text("正常")
        await shot(desk, "console")

        await desk.click("#rotate-udi")
        await expect(desk.locator("#new-secret")).to_contain_text("仅显示这一次")
        shown = (await desk.inner_text("#secret-value")).strip()
        assert len(shown) >= 40
        await shot(desk, "secret-shown-once")
        await desk.goto("/staff/ops")
        await expect(desk.locator("#new-secret")).to_have_count(0)

        await desk.click("#disable-classification")
        await expect(desk.locator("#ops-notice")).to_contain_text("已停用客户端 classification")
        await expect(desk.locator("#client-classification .state")).to_have_text("已停用")
        await expect(desk.locator("#enable-classification")).to_be_visible()
        await shot(desk, "client-disabled")

        await desk.fill("#session-username", "zhangsan")
        await desk.click("#find-sessions-submit")
        await expect(desk.locator("#session-list .user-session")).to_have_count(1)
        await shot(desk, "user-sessions")
        await desk.click("#session-list .end-session")
        await expect(desk.locator("#ops-notice")).to_have_text("已结束该会话，并通知了相关业务系统退出。")
        await expect(desk.locator("#no-sessions")).to_be_visible()
        await shot(desk, "session-ended")

    await page.goto("/space")
    await expect(page.locator("#username")).to_be_visible()  # logged out: the login page again
    await shot(page, "user-logged-out")
