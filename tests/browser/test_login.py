"""The login page in a real browser: two windows (法人登录, 个人登录), graphic captcha, the login
names each window takes, and lockout after repeated wrong passwords."""
from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.steps import ON_BROWSER_LOOP, log_in, login_error
from tests.support.live import register_account

pytestmark = ON_BROWSER_LOOP

ZHANGSAN = dict(account_type="personal", id_type="居民身份证", id_number="110000198506120133", mobile="13800138000",
                realname_level=2)
ENTERPRISE = dict(account_type="legal_person", name="李四", id_type="居民身份证", id_number="330000197001010023",
                  mobile="13900139000", enterprise_name="示例医疗器械有限公司", credit_code="91110105PDY0001752",
                  realname_level=2)


async def logged_in_space(page, portal) -> str:
    await page.wait_for_url(f"{portal.url}/space")
    return (await page.inner_text("#space-name")).strip()


async def test_personal_window_takes_username_id_number_and_mobile(page, portal, shot):
    await register_account(portal.database_url, "zhangsan", **ZHANGSAN)
    for step, login_name in (("username", "zhangsan"), ("id-number", "110000198506120133"),
                             ("mobile", "13800138000")):
        await page.context.clear_cookies()
        await page.goto("/login?window=personal")
        await page.fill("#username", login_name)
        await shot(page, f"personal-window-{step}")
        await log_in(page, login_name, window="personal")
        assert await logged_in_space(page, portal) == "个人空间"
        await expect(page.locator("#space-user")).to_have_text("张三")
        await shot(page, f"personal-space-after-{step}")


async def test_legal_window_takes_the_username(page, portal, shot):
    await register_account(portal.database_url, "qiye_demo", **ENTERPRISE)
    await page.goto("/")
    await expect(page.locator("#window-legal")).to_have_attribute("aria-current", "page")
    await shot(page, "legal-window")
    await log_in(page, "qiye_demo", window="legal")
    assert await logged_in_space(page, portal) == "法人空间"
    await expect(page.locator("#space-user")).to_have_text("示例医疗器械有限公司")
    await shot(page, "legal-space")


async def test_mobile_number_in_the_legal_window_is_wrong_credentials(page, portal, shot):
    """法人登录 takes usernames only: a mobile number there is refused like any wrong login name,
    even though the same number logs in through 个人登录."""
    await register_account(portal.database_url, "qiye_demo", **ENTERPRISE)
    await register_account(portal.database_url, "zhangsan", **ZHANGSAN)
    await page.goto("/login?window=legal")
    await log_in(page, "13900139000", window="legal")
    assert await login_error(page) == "输入的用户名或密码错误"
    await expect(page.locator("#window-legal")).to_have_attribute("aria-current", "page")
    await expect(page.locator("#username")).to_have_value("13900139000")
    await expect(page.locator("#password")).to_have_value("")
    await shot(page, "legal-window-refuses-mobile")
    await log_in(page, "13800138000", window="legal")
    assert await login_error(page) == "输入的用户名或密码错误"
    await log_in(page, "13800138000", window="personal")
    assert await logged_in_space(page, portal) == "个人空间"


async def test_wrong_captcha_keeps_the_login_name_and_shows_a_new_image(page, portal, shot):
    await register_account(portal.database_url, "zhangsan", **ZHANGSAN)
    await page.goto("/login?window=personal")
    first_image = await page.get_attribute("#captcha-image", "src")
    await log_in(page, "zhangsan", window="personal", captcha="ABCD")
    assert await login_error(page) == "图形验证码错误，请重新输入"
    await expect(page.locator("#username")).to_have_value("zhangsan")
    await expect(page.locator("#password")).to_have_value("")
    assert await page.get_attribute("#captcha-image", "src") != first_image
    # The image is a real PNG the browser can show (the answer stays on the server).
    assert await page.eval_on_selector("#captcha-image", "img => img.complete && img.naturalWidth") > 0
    await shot(page, "wrong-captcha")
    await log_in(page, "zhangsan", window="personal")
    assert await logged_in_space(page, portal) == "个人空间"


async def test_five_wrong_passwords_lock_the_account_and_offer_unlock(page, portal, shot):
    await register_account(portal.database_url, "zhangsan", **ZHANGSAN)
    await page.goto("/login?window=personal")
    for attempt in range(1, 5):
        await log_in(page, "zhangsan", "Wrong@2026pass", window="personal")
        assert await login_error(page) == "输入的用户名或密码错误", f"attempt {attempt}"
    await log_in(page, "zhangsan", "Wrong@2026pass", window="personal")
    assert re.fullmatch(r"账号已被锁定，请30分钟后再试，或通过“用户解锁”立即解锁。 ?用户解锁", await login_error(page))
    await expect(page.locator("#locked-unlock")).to_have_text("用户解锁")
    await shot(page, "locked")
    # Locked means locked: the right password is refused too.
    await log_in(page, "zhangsan", window="personal")
    assert (await login_error(page)).startswith("账号已被锁定")
    await page.click("#locked-unlock")
    await page.wait_for_url(f"{portal.url}/unlock*")
    await shot(page, "unlock-page")


async def test_login_works_without_javascript(chromium, portal, shot):
    """Every page is a plain form: with scripts off, the windows switch and the login succeeds."""
    await register_account(portal.database_url, "zhangsan", **ZHANGSAN)
    context = await chromium.new_context(base_url=portal.url, java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto("/login")
        await log_in(page, "110000198506120133", window="personal")
        assert await logged_in_space(page, portal) == "个人空间"
        await shot(page, "no-javascript-space")
    finally:
        await context.close()


async def test_login_and_space_fit_a_phone_screen(page, portal, shot):
    await register_account(portal.database_url, "zhangsan", **ZHANGSAN)
    await page.set_viewport_size({"width": 375, "height": 740})
    await page.goto("/login?window=personal")
    await shot(page, "phone-login")
    await log_in(page, "zhangsan", window="personal")
    assert await logged_in_space(page, portal) == "个人空间"
    await shot(page, "phone-space")
    await page.click("#menu-settings")
    await shot(page, "phone-settings")
