"""授权绑定 in a real browser, against the portal and business systems running as `make run`
runs them (each a uvicorn process with its own database): bind an existing account (a wrong
user, a wrong password, then the right one), SSO into it, unbind, SSO refused; create a new
account (不可解除, 机构信息完善 first, a second binding refused); classification and combination exclude each other."""
from __future__ import annotations

import re

from playwright.async_api import Page, expect

from mock_systems.classification import PROFILE as CLASSIFICATION
from mock_systems.combination import PROFILE as COMBINATION
from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.udi import PROFILE as UDI
from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP, answered, log_in, running
from tests.support.live import register_account

pytestmark = ON_BROWSER_LOOP


async def on_my_bindings(page: Page, portal) -> None:
    await register_account(portal.database_url, "zhangsan")
    await page.goto("/space/bindings")
    await log_in(page, "zhangsan")
    await page.goto("/space/bindings")
    await expect(page.locator("h2")).to_have_text("我的绑定")


async def open_authorization(page: Page, client_id: str) -> None:
    await page.click(f"#system-{client_id} a.bind")
    await page.wait_for_url(re.compile(rf"/space/bindings/{client_id}$"))


async def prove(page: Page, username: str, password: str) -> None:
    """The business system's own login page inside the binding."""
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.fill("#captcha", CAPTCHA)
    await page.get_by_role("button", name="授权绑定").click()
    await page.wait_for_load_state()


def row(page: Page, client_id: str):
    return page.locator(f"#system-{client_id}")


async def test_bind_an_existing_account_sso_into_it_unbind_and_sso_refused(
        page, portal, databases, tmp_path, shot, console_errors):
    async with running(portal, databases, tmp_path, "udi", UDI) as udi:
        await on_my_bindings(page, portal)
        await expect(row(page, "udi")).to_have_attribute("data-state", "bind")
        await shot(page, "my-bindings")
        await open_authorization(page, "udi")
        await shot(page, "authorize")
        await page.click("#mode-existing")
        await page.wait_for_url(f"{udi.url}/binding/start?*")
        await shot(page, "system-login")

        await prove(page, "nobody_here", DEMO_LOCAL_PASSWORD)
        await expect(page.get_by_role("alert")).to_have_text("用户绑定授权异常: 用户不存在")
        answered(console_errors, 400)
        await shot(page, "no-such-user")
        await prove(page, "udi_demo", DEMO_LOCAL_PASSWORD + "x")
        await expect(page.get_by_role("alert")).to_have_text("用户绑定授权异常: 密码错误")
        answered(console_errors, 400)
        await shot(page, "wrong-password")
        await prove(page, "udi_demo", DEMO_LOCAL_PASSWORD)
        await page.wait_for_url(f"{portal.url}/space/bindings*")
        await expect(row(page, "udi")).to_have_attribute("data-state", "unbind")
        await expect(row(page, "udi").get_by_role("button", name="解除绑定")).to_be_visible()
        await shot(page, "bound")

        await row(page, "udi").get_by_role("link", name=UDI.display_name).click()
        await page.wait_for_url(f"{udi.url}/*")
        await expect(page.locator("#local-username")).to_have_text("udi_demo")
        await shot(page, "logged-into-system")

        await page.goto(f"{portal.url}/space/bindings")
        await row(page, "udi").get_by_role("button", name="解除绑定").click()
        await page.wait_for_url(f"{portal.url}/space/bindings?*")
        await expect(page.locator("#notice")).to_have_text(f"已解除与{UDI.display_name}的绑定。")
        await expect(row(page, "udi")).to_have_attribute("data-state", "bind")
        await expect(row(page, "udi").get_by_role("link", name="授权绑定")).to_be_visible()
        await shot(page, "unbound")

        await page.goto(f"{portal.url}/sso/udi")
        refusal = f"您尚未绑定{UDI.display_name}，请先在“我的绑定”中授权绑定后再单点登录。"
        await expect(page.get_by_text(refusal)).to_be_visible()
        answered(console_errors, 403)
        await shot(page, "sso-refused-at-portal")
        await page.goto(f"{udi.url}/auth/login")  # from the system's side: its own clear page
        await expect(page.get_by_role("alert")).to_contain_text("尚未授权绑定本系统")
        answered(console_errors, 403)
        await shot(page, "sso-refused-at-system")


async def test_create_a_new_account_cannot_be_undone_and_a_second_binding_is_refused(page, portal, databases,
                                                                                     tmp_path, shot, console_errors):
    async with running(portal, databases, tmp_path, "udi", UDI) as udi:
        await on_my_bindings(page, portal)
        await open_authorization(page, "udi")
        await page.click("#mode-create")
        await page.wait_for_url(f"{portal.url}/space/bindings*")
        await expect(row(page, "udi")).to_have_attribute("data-state", "fixed")
        await expect(row(page, "udi")).to_contain_text("不可解除")
        await expect(row(page, "udi").get_by_role("button")).to_have_count(0)
        await shot(page, "created")

        await row(page, "udi").get_by_role("link", name=UDI.display_name).click()
        await page.wait_for_url(re.compile(re.escape(udi.url) + "/"))
        # A new UDI account must give its organisation details and pass review first
        # (tests/browser/test_udi_review.py goes on from here).
        await page.wait_for_url(f"{udi.url}/organisation")
        await expect(page.get_by_role("heading", name="机构信息完善")).to_be_visible()
        await shot(page, "organisation-form")

        await page.goto(f"{portal.url}/space/bindings/udi")  # the authorization page, once more
        await page.click("#mode-create")
        await expect(page.locator("#error")).to_have_text(
            f"用户绑定授权异常：当前政务门户用户已经绑定了{UDI.display_name}，请勿重新绑定！")
        answered(console_errors, 409)
        await expect(row(page, "udi")).to_have_attribute("data-state", "fixed")
        await shot(page, "second-binding-refused")


async def test_classification_bound_then_combination_refused_naming_it(
        page, portal, databases, tmp_path, shot, console_errors):
    async with running(portal, databases, tmp_path, "classification", CLASSIFICATION), \
            running(portal, databases, tmp_path, "combination", COMBINATION):
        await on_my_bindings(page, portal)
        await open_authorization(page, "classification")
        await page.click("#mode-create")
        await page.wait_for_url(f"{portal.url}/space/bindings*")
        await expect(row(page, "classification")).to_have_attribute("data-state", "fixed")
        await shot(page, "classification-bound")

        await open_authorization(page, "combination")
        await page.click("#mode-existing")
        await expect(page.locator("#error")).to_have_text(
            f"用户绑定授权异常：当前政务门户用户已经绑定了{CLASSIFICATION.display_name}，"
            f"不能同时绑定{COMBINATION.display_name}，请通过法人授权经办人绑定{COMBINATION.display_name}。")
        answered(console_errors, 409)
        await expect(row(page, "combination")).to_have_attribute("data-state", "bind")
        await shot(page, "combination-refused")
