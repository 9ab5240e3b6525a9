"""账号设置 → 个人信息 and 注销账号 in a real browser: the page with the ID number and mobile
masked, the JSON download behind the current password, then the 注销须知, the password, the code
read from /dev/messages, the confirmation, and no login afterwards."""
from __future__ import annotations

import json

from playwright.async_api import expect

from tests.browser.steps import ON_BROWSER_LOOP, log_in, login_error, read_code
from tests.support.live import register_account
from tests.support.portal import PASSWORD

pytestmark = ON_BROWSER_LOOP

ID_NUMBER, MOBILE = "110000198506120133", "13800138000"


async def test_download_the_personal_data_then_close_the_account(page, portal, shot, tmp_path):
    await register_account(portal.database_url, "zhangsan", account_type="personal", id_type="居民身份证",
                           id_number=ID_NUMBER, mobile=MOBILE, realname_level=2)
    await page.goto("/login?window=personal")
    await log_in(page, "zhangsan", PASSWORD, window="personal")
    await page.wait_for_url(f"{portal.url}/space")
    await page.goto("/space/settings")
    await page.click("#personal-data-link")
    await expect(page.locator("#pd-account")).to_contain_text("1100**********0133")
    await expect(page.locator("#pd-account")).not_to_contain_text(ID_NUMBER)
    await expect(page.locator("#pd-logins")).to_contain_text("登录成功")
    await shot(page, "personal-data")

    await page.fill("#current_password", PASSWORD)
    async with page.expect_download() as info:
        await page.click("#download")
    download = await info.value
    assert download.suggested_filename.startswith("personal-data-zhangsan-")
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["账号信息"]["证件号码"] == ID_NUMBER and data["账号信息"]["手机号"] == MOBILE

    await page.goto("/space/settings")
    await page.click("#close-link")
    await expect(page.locator("#closure-warning")).to_contain_text("注销账号是不可恢复的操作")
    await shot(page, "closure-warning")
    await page.fill("#current_password", PASSWORD)
    await page.click("#submit")
    await expect(page.locator("#destination")).to_contain_text("138****8000")
    await page.fill("#code", await read_code(page, MOBILE, "注销账号"))
    await page.click("#submit")
    await expect(page.locator("#error")).to_have_text("请勾选“我已阅读并同意注销须知”")
    await shot(page, "closure-unconfirmed")
    await page.fill("#code", await read_code(page, MOBILE, "注销账号"))
    await page.check("#confirm")
    await page.click("#submit")
    await expect(page.locator("#closed h1")).to_have_text("账号已注销")
    await shot(page, "closed")

    await page.goto("/space")
    await page.wait_for_url(f"{portal.url}/login**")
    await log_in(page, "zhangsan", PASSWORD, window="personal")
    assert await login_error(page) == "输入的用户名或密码错误"
    await shot(page, "login-refused")
