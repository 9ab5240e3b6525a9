"""个人空间 → 账号设置 in a real browser: change the password (the old one required), change
the mobile number and the e-mail (the current password, then a code sent to the new value, read
from /dev/messages), see the notices in 我的消息, then log out."""
from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.steps import ON_BROWSER_LOOP, another_browser, log_in, login_error, read_code, sent_to
from tests.support.live import register_account
from tests.support.portal import PASSWORD

pytestmark = ON_BROWSER_LOOP

NEW_PASSWORD = "Gai#2026mima"
NEW_MOBILE = "13500135000"
OLD_EMAIL = "zhangsan@example.com"
NEW_EMAIL = "zhang.san@mail.example.cn"


async def logged_in(page, portal, login_name: str = "zhangsan", password: str = PASSWORD) -> None:
    await page.goto("/login?window=personal")
    await log_in(page, login_name, password, window="personal")
    await page.wait_for_url(f"{portal.url}/space")


async def test_change_password_and_mobile_then_log_out(page, portal, shot):
    await register_account(portal.database_url, "zhangsan", account_type="personal", id_type="居民身份证",
                           id_number="110000198506120133", mobile="13800138000", realname_level=2)
    await logged_in(page, portal)
    await shot(page, "personal-space")
    await page.click("#goto-settings")
    await expect(page.locator("#profile-level")).to_contain_text("实名等级：二级")
    await shot(page, "settings")

    await page.click("#change-password")
    await page.fill("#old_password", "Wrong@2026pass")
    await page.fill("#new_password", NEW_PASSWORD)
    await page.fill("#confirm_password", NEW_PASSWORD)
    await page.click("#submit")
    await expect(page.locator("#error")).to_have_text("原密码输入错误")
    await expect(page.locator("#new_password")).to_have_value("")
    await shot(page, "wrong-old-password")
    await page.fill("#old_password", PASSWORD)
    await page.fill("#new_password", NEW_PASSWORD)
    await page.fill("#confirm_password", NEW_PASSWORD)
    await page.click("#submit")
    await expect(page.locator("#notice")).to_have_text("密码修改成功，其他设备上的登录已全部退出。")
    await shot(page, "password-changed")

    await page.click("#change-mobile")
    await page.fill("#mobile", NEW_MOBILE)
    await page.fill("#current_password", NEW_PASSWORD)
    await page.click("#submit")
    await expect(page.locator("#destination")).to_contain_text(NEW_MOBILE)
    await shot(page, "mobile-code-sent")
    await page.fill("#code", await read_code(page, NEW_MOBILE, "修改手机号"))
    await page.click("#submit")
    await expect(page.locator("#notice")).to_have_text("手机号修改成功")
    await expect(page.locator("#profile-mobile")).to_contain_text("已验证")
    await shot(page, "mobile-changed")

    await page.click("#logout")
    await page.wait_for_load_state()
    await expect(page.locator("h1")).to_have_text("您已安全退出")
    await shot(page, "logged-out")
    await page.goto("/space")
    await page.wait_for_url(f"{portal.url}/login**")

    # The old password and the old mobile number no longer log in; the new ones do.
    await log_in(page, "zhangsan", PASSWORD, window="personal")
    assert await login_error(page) == "输入的用户名或密码错误"
    await log_in(page, "13800138000", NEW_PASSWORD, window="personal")
    assert await login_error(page) == "输入的用户名或密码错误"
    await log_in(page, NEW_MOBILE, NEW_PASSWORD, window="personal")
    await page.wait_for_url(f"{portal.url}/space")


async def test_change_email_asks_for_the_password_and_is_announced(page, portal, shot):
    await register_account(portal.database_url, "zhangsan", account_type="personal", id_type="居民身份证",
                           id_number="110000198506120133", email=OLD_EMAIL, realname_level=2)
    await logged_in(page, portal)
    await page.click("#goto-settings")
    await page.click("#change-email")
    await page.fill("#email", NEW_EMAIL)
    await page.click("#submit")  # no password: the browser's own check holds the form back
    await expect(page.locator("#current_password")).to_be_focused()
    await page.fill("#current_password", "Wrong@2026pass")
    await page.click("#submit")
    await expect(page.locator("#error")).to_have_text("当前登录密码输入错误")
    await expect(page.locator("#email")).to_have_value(NEW_EMAIL)
    await expect(page.locator("#current_password")).to_have_value("")
    await shot(page, "email-wrong-password")
    await page.fill("#current_password", PASSWORD)
    await page.click("#submit")
    await expect(page.locator("#destination")).to_contain_text(NEW_EMAIL)
    await shot(page, "email-code-sent")
    await page.fill("#code", await read_code(page, NEW_EMAIL, "修改电子邮箱"))
    await page.click("#submit")
    await expect(page.locator("#notice")).to_have_text("电子邮箱修改成功")
    await expect(page.locator("#profile-email")).to_contain_text(NEW_EMAIL)

    # The old address was told, and so is 我的消息.
    assert "电子邮箱已于" in await sent_to(page, OLD_EMAIL)
    await page.click("#menu-messages")
    row = page.locator("#messages tr.message").first
    await expect(row.locator("td.title")).to_have_text("电子邮箱修改提醒")
    await expect(row.locator("td.body")).to_contain_text("如非本人操作")
    await shot(page, "my-messages")


async def test_end_the_session_of_another_browser_from_login_devices(page, portal, shot, chromium, console_errors):
    """登录设备: two browsers logged in to one account; the first ends the second's session and the
    second finds itself logged out."""
    await register_account(portal.database_url, "zhangsan", account_type="personal", id_type="居民身份证",
                           id_number="110000198506120133", mobile="13800138000", realname_level=2)
    await logged_in(page, portal)
    async with another_browser(chromium, portal, console_errors) as elsewhere:
        await logged_in(elsewhere, portal)
        await page.goto("/space/settings")
        await page.click("#devices-link")
        await expect(page.locator("#devices tbody tr")).to_have_count(2)
        await expect(page.locator("#current-device")).to_have_text("当前设备")
        await expect(page.locator("#devices tbody tr").first).to_contain_text("Chrome · Linux")
        await shot(page, "login-devices")
        await page.click(".end-device")
        await expect(page.locator("#notice")).to_have_text("已退出该设备上的登录，其访问过的业务系统也已通知退出。")
        await expect(page.locator("#devices tbody tr")).to_have_count(1)
        await expect(page.locator("#end-others")).to_have_count(0)
        await shot(page, "other-device-ended")
        await elsewhere.goto("/space")
        await expect(elsewhere).to_have_url(re.compile(r"/login"))
        await shot(elsewhere, "ended-browser-logged-out")
        await page.goto("/space")
        await expect(page).to_have_url(re.compile(r"/space$"))
