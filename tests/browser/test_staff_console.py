"""The staff console in a real browser: a new administrator enrols TOTP (the QR code shown, the
secret read from the page, a code computed with pyotp), a wrong code and a replayed code are
refused, it signs in and creates a staff member."""
from __future__ import annotations

import asyncio
import time

import pyotp
from playwright.async_api import expect

from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP, answered
from tests.support.staff import STAFF_PASSWORD, add_staff

pytestmark = ON_BROWSER_LOOP
WRONG_CODE = "动态验证码错误，请输入验证器当前显示的6位数字"
REPLAYED = "该动态验证码已使用过，请等待验证器显示新的验证码后再输入"


async def sign_in_with_password(page, username: str) -> None:
    await page.goto("/staff")
    await page.wait_for_url("**/staff/login")
    await page.fill("#username", username)
    await page.fill("#password", STAFF_PASSWORD)
    await page.fill("#captcha", CAPTCHA)
    await page.click("#submit")
    await page.wait_for_url("**/staff/login/totp")


async def enter_code(page, code: str) -> None:
    await page.fill("#code", code)
    await page.click("#submit")
    await page.wait_for_load_state()


async def test_enrol_totp_sign_in_and_create_a_staff_member(page, portal, shot, console_errors):
    await add_staff(portal.database_url, "guanli", ["admin"], name="王管理", enrolled=False)
    await sign_in_with_password(page, "guanli")
    await expect(page.locator("h1")).to_have_text("绑定动态验证码")
    await expect(page.locator("#totp-qr")).to_be_visible()
    await shot(page, "enrolment-qr")
    generator = pyotp.TOTP((await page.inner_text("#totp-secret")).strip())

    current = generator.now()
    await enter_code(page, "000000" if current != "000000" else "111111")
    answered(console_errors, 400)
    await expect(page.locator("#code-error")).to_have_text(WRONG_CODE)
    await expect(page.locator("#totp-qr")).to_be_visible()  # still enrolling: a wrong code does not count
    await shot(page, "wrong-code")

    used = generator.now()
    await enter_code(page, used)
    await page.wait_for_url("**/staff")
    await expect(page.locator("#staff-name")).to_have_text("王管理")
    await expect(page.locator(".staff-menu a")).to_have_text(["首页", "管理员"])
    await shot(page, "signed-in")

    await page.click("#staff-logout")
    await page.wait_for_url("**/staff/login")
    await sign_in_with_password(page, "guanli")
    await expect(page.locator("#totp-qr")).to_have_count(0)  # enrolled: only the code now
    await enter_code(page, used)
    answered(console_errors, 400)
    await expect(page.locator("#code-error")).to_have_text(REPLAYED)
    await shot(page, "replayed-code")
    # The authenticator's next code (wait for it if the step has not moved on since).
    while generator.now() == used:
        await asyncio.sleep(30 - time.time() % 30 + 0.2)
    await enter_code(page, generator.now())
    await page.wait_for_url("**/staff")

    await page.click("#menu-admin")
    await page.wait_for_url("**/staff/admin")
    await page.fill("#new-username", "kefu01")
    await page.fill("#new-name", "李客服")
    await page.fill("#new-password", "Kefu#2026mima")
    await page.check("#new-role-helpdesk")
    await shot(page, "create-form")
    await page.click("#create-submit")
    await expect(page.locator("#admin-notice")).to_contain_text("已创建工作人员 kefu01")
    row = page.locator("#staff-kefu01")
    await expect(row).to_contain_text("李客服")
    await expect(row).to_contain_text("未绑定动态验证码")
    await shot(page, "member-created")
