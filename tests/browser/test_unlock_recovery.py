"""用户解锁 and 忘记密码 in a real browser: a code read from /dev/messages, and recovery by
identity data; afterwards the login works with the new (or the same) password."""
from __future__ import annotations

import datetime as dt

from playwright.async_api import expect

from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP, log_in, login_error, read_code
from tests.support.live import register_account
from tests.support.portal import PASSWORD

pytestmark = ON_BROWSER_LOOP

NEW_PASSWORD = "Xin#2026mima"
ZHANGSAN = dict(account_type="personal", id_type="居民身份证", id_number="110000198506120133", mobile="13800138000",
                email="zhangsan@example.com", id_valid_from=dt.date(2015, 6, 12), id_valid_to=dt.date(2035, 6, 12),
                realname_level=2)


async def lock_by_wrong_passwords(page, portal) -> None:
    await page.goto("/login?window=personal")
    for _ in range(5):
        await log_in(page, "zhangsan", "Wrong@2026pass", window="personal")
    assert (await login_error(page)).startswith("账号已被锁定")


async def test_locked_account_is_unlocked_by_a_code_sent_by_email(page, portal, shot):
    await register_account(portal.database_url, "zhangsan", **ZHANGSAN)
    await lock_by_wrong_passwords(page, portal)
    await shot(page, "locked")
    await page.click("#locked-unlock")
    await page.fill("#username", "zhangsan")
    await page.check("#channel-email")
    await page.fill("#destination", "zhangsan@example.com")
    await page.fill("#captcha", CAPTCHA)
    await shot(page, "unlock-request")
    await page.click("#send-code")
    await expect(page.locator("#code-sent")).to_contain_text("z***@example.com")
    await shot(page, "unlock-code-sent")
    code = await read_code(page, "zhangsan@example.com", "用户解锁")
    await page.fill("#code", code)
    await page.click("#submit")
    await expect(page.locator("#done")).to_have_text("账号已解锁，请重新登录。")
    await shot(page, "unlocked")
    await page.click("#login-link")
    await log_in(page, "zhangsan", PASSWORD, window="personal")
    await page.wait_for_url(f"{portal.url}/space")
    await shot(page, "logged-in-after-unlock")


async def test_wrong_unlock_code_is_refused_on_the_same_page(page, portal, shot):
    await register_account(portal.database_url, "zhangsan", **ZHANGSAN)
    await lock_by_wrong_passwords(page, portal)
    await page.goto("/unlock")
    await page.fill("#username", "13800138000")
    await page.fill("#destination", "13800138000")
    await page.fill("#captcha", CAPTCHA)
    await page.click("#send-code")
    code = await read_code(page, "13800138000", "用户解锁")
    await page.fill("#code", "000000" if code != "000000" else "111111")
    await page.click("#submit")
    await expect(page.locator("#error")).to_have_text("验证码错误，请重新输入")
    await expect(page.locator("#code")).to_have_value("")
    await shot(page, "wrong-code")
    await page.fill("#code", code)
    await page.click("#submit")
    await expect(page.locator("#done")).to_be_visible()


async def test_forgotten_password_by_a_code_to_the_mobile(page, portal, shot):
    await register_account(portal.database_url, "zhangsan", **ZHANGSAN)
    await page.goto("/login?window=personal")
    await page.click("#recovery")
    await shot(page, "recovery-by-identity")
    await page.click("#by-code")
    await page.fill("#username", "110000198506120133")
    await page.check("#channel-sms")
    await page.fill("#destination", "13800138000")
    await page.fill("#captcha", CAPTCHA)
    await shot(page, "recovery-request")
    await page.click("#send-code")
    await expect(page.locator("#code-sent")).to_contain_text("138****8000")
    code = await read_code(page, "13800138000", "找回密码")
    await page.fill("#code", code)
    await shot(page, "recovery-code")
    await page.click("#submit")
    await set_new_password(page, shot)
    await assert_only_the_new_password_works(page, portal, "13800138000")


async def test_forgotten_password_by_identity_data(page, portal, shot):
    await register_account(portal.database_url, "zhangsan", **ZHANGSAN)
    await page.goto("/recovery")
    await page.fill("#name", "张三")
    await page.fill("#id_number", "110000198506120133")
    await page.fill("#valid_from", "2015-06-12")
    await page.fill("#valid_to", "2035-06-12")
    await page.fill("#captcha", CAPTCHA)
    await shot(page, "identity-filled")
    await page.click("#submit")
    await set_new_password(page, shot)
    await assert_only_the_new_password_works(page, portal, "110000198506120133")


async def test_identity_data_that_do_not_match_keep_the_form(page, portal, shot):
    await register_account(portal.database_url, "zhangsan", **ZHANGSAN)
    await page.goto("/recovery")
    await page.fill("#name", "张三")
    await page.fill("#id_number", "110000198506120133")
    await page.fill("#valid_from", "2015-06-13")
    await page.fill("#valid_to", "2035-06-12")
    await page.fill("#captcha", CAPTCHA)
    await page.click("#submit")
    await expect(page.locator("#error")).to_have_text("身份信息验证未通过，请核对填写的姓名、身份证号码和身份证有效期")
    await expect(page.locator("#name")).to_have_value("张三")
    await expect(page.locator("#id_number")).to_have_value("110000198506120133")
    await expect(page.locator("#valid_from")).to_have_value("2015-06-13")
    await expect(page.locator("#captcha")).to_have_value("")
    await shot(page, "identity-mismatch")


async def set_new_password(page, shot) -> None:
    """2 设置新密码: a password breaking the rule is refused first, then a good one is taken."""
    await expect(page.locator("#steps li[aria-current=step]")).to_have_text("2 设置新密码")
    await page.fill("#password", "short1")
    await page.fill("#password_confirm", "short1")
    await page.click("#submit")
    await expect(page.locator("#error")).to_have_text(
        "密码应为8~16个字符，至少包含大写字母、小写字母、数字、特殊符号中的三种类型")
    await shot(page, "password-rule")
    await page.fill("#password", NEW_PASSWORD)
    await page.fill("#password_confirm", NEW_PASSWORD)
    await shot(page, "new-password")
    await page.click("#submit")
    await expect(page.locator("#done")).to_contain_text("密码重置成功")
    await shot(page, "done")


async def assert_only_the_new_password_works(page, portal, login_name: str) -> None:
    await page.click("#login-link")
    await log_in(page, login_name, PASSWORD, window="personal")
    assert await login_error(page) == "输入的用户名或密码错误"
    await log_in(page, login_name, NEW_PASSWORD, window="personal")
    await page.wait_for_url(f"{portal.url}/space")
