"""The catalogue's other systems in a real browser (issue 19): 公共服务 → 在线办理 of a 事项
handled by a generic stand-in, logged out, so through the login and 授权绑定 first, then
straight into the system; and a system that is down gets the portal's own page."""
from __future__ import annotations

import re

from playwright.async_api import expect

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.standins import profile_of
from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP, log_in, running_standin
from tests.support.live import free_port, register_account
from tests.support.live_binding import register_system

pytestmark = ON_BROWSER_LOOP
COSMETICS = profile_of("cosmetic-registration")


async def test_在线办理_binds_a_stand_in_first_then_goes_straight_in(page, portal, databases, tmp_path, shot):
    async with running_standin(portal, databases, tmp_path, COSMETICS) as system:
        await register_account(portal.database_url, "zhangsan")
        await page.goto("/services")
        await page.locator("#themes").get_by_role("link", name="化妆品").click()
        item = page.locator("#service-cosmetic-registration")
        await expect(item).to_contain_text("化妆品注册备案信息服务平台")
        await expect(page.locator("#service-udi-declaration")).to_have_count(0)
        await shot(page, "services-cosmetics")
        await item.get_by_role("link", name="在线办理").click()
        await log_in(page, "zhangsan")  # logged out: the login first, then on to 授权绑定
        await page.wait_for_url(re.compile(r"/space/bindings/cosmetic-registration$"))
        await shot(page, "authorize-first")
        await page.click("#mode-existing")
        await page.wait_for_url(f"{system.url}/binding/start?*")
        await page.fill("#username", "cosmetic-registration_demo")
        await page.fill("#password", DEMO_LOCAL_PASSWORD)
        await page.fill("#captcha", CAPTCHA)
        await page.get_by_role("button", name="授权绑定").click()
        await page.wait_for_url(f"{portal.url}/space/bindings*")
        await expect(page.locator("#system-cosmetic-registration")).to_have_attribute("data-state", "unbind")
        await shot(page, "bound")

        await page.goto("/services?theme=化妆品")
        await page.locator("#service-cosmetic-registration").get_by_role("link", name="在线办理").click()
        await page.wait_for_url(f"{system.url}/*")
        await expect(page.locator("#local-username")).to_have_text("cosmetic-registration_demo")
        await shot(page, "in-the-system")


async def test_a_system_that_is_down_gets_the_unavailable_page(page, portal, shot):
    await register_system(portal.database_url, "appointments", f"http://127.0.0.1:{free_port()}",
                          display_name="网上预约系统")  # nothing listens there
    await register_account(portal.database_url, "zhangsan")
    await page.goto("/space/bindings")
    await log_in(page, "zhangsan")
    await page.goto("/space/bindings/appointments")
    await page.click("#mode-existing")
    await expect(page.get_by_role("alert")).to_have_text("网上预约系统暂时无法访问，请稍后再试。")
    await shot(page, "unavailable")
    await page.click("#goto-bindings")
    await expect(page.locator("#system-appointments")).to_have_attribute("data-state", "bind")
