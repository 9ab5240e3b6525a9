"""The UDI system's review of an account created by binding, in a real browser against the
portal and the UDI system as live processes: a legal person binds UDI with 直接授权创建新的账号,
opens it from 我的绑定, fills 机构信息完善 (one mistake first), sees 待审核; a reviewer logs in
to the UDI review page and approves; the notification is on the UDI dev messages page; the
user's next SSO from 我的绑定 reaches the system."""
from __future__ import annotations

import re

from playwright.async_api import Page, expect

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.udi import PROFILE as UDI
from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP, answered, log_in
from tests.support.live import free_port, register_account
from tests.support.live_binding import register_system
from tests.support.live_systems import live_system

pytestmark = ON_BROWSER_LOOP
ENTERPRISE = dict(account_type="legal_person", name="李四", id_type="居民身份证", id_number="330000197001010023",
                  mobile="13900139000", enterprise_name="示例医疗器械有限公司", credit_code="91110105PDY0001752",
                  realname_level=2)


def udi_row(page: Page):
    return page.locator("#system-udi")


async def test_a_new_udi_account_is_reviewed_before_use(page, portal, databases, tmp_path, shot, console_errors):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client = await register_system(portal.database_url, UDI.client_id, url, display_name=UDI.display_name)
    async with live_system("udi", UDI, port, tmp_path, issuer=portal.process.issuer,
                           database_url=await databases.empty(), client_secret=client.client_secret):
        await register_account(portal.database_url, "qiye_demo", **ENTERPRISE)
        await page.goto("/space/bindings")
        await log_in(page, "qiye_demo", window="legal")
        await page.goto("/space/bindings")
        await udi_row(page).locator("a.bind").click()
        await page.wait_for_url(re.compile(r"/space/bindings/udi$"))
        await page.click("#mode-create")
        await page.wait_for_url(f"{portal.url}/space/bindings*")
        await expect(udi_row(page)).to_have_attribute("data-state", "fixed")
        await shot(page, "bound-by-creating")

        await udi_row(page).get_by_role("link", name=UDI.display_name).click()
        await page.wait_for_url(f"{url}/organisation")
        await expect(page.get_by_role("heading", name="机构信息完善")).to_be_visible()
        await expect(page.get_by_label("统一社会信用代码")).to_have_value("91110105PDY0001752")
        await expect(page.get_by_label("机构名称")).to_have_value("示例医疗器械有限公司")
        await shot(page, "organisation-form")

        await page.get_by_label("机构地址").fill("北京市朝阳区示例路1号")
        await page.get_by_label("联系电话").fill("0108888666")
        await page.get_by_role("button", name="提交审核").click()
        await expect(page.locator("#contact_phone-error")).to_have_text("手机号码格式不正确，请输入11位手机号码")
        answered(console_errors, 400)
        await shot(page, "organisation-form-refused")
        await page.get_by_label("联系电话").fill("13900139000")
        await page.get_by_label("电子邮箱").fill("lisi@example.com")
        await page.get_by_role("button", name="提交审核").click()
        await expect(page.locator("#review-state")).to_have_attribute("data-state", "pending")
        await expect(page.locator("#review-state")).to_contain_text("5 个工作日之内")
        await shot(page, "pending-review")
        await page.goto(f"{url}/")  # nothing else of the system before approval
        await page.wait_for_url(f"{url}/organisation")
        await expect(page.locator("#review-state")).to_have_attribute("data-state", "pending")

        await page.goto(f"{url}/staff/reviews")
        await page.wait_for_url(f"{url}/staff/login")
        await page.get_by_label("用户名").fill("udi_staff")
        await page.get_by_label("密码").fill(DEMO_LOCAL_PASSWORD)
        await page.get_by_label("图形验证码").fill(CAPTCHA)
        await shot(page, "staff-login")
        await page.get_by_role("button", name="登录").click()
        await page.wait_for_url(f"{url}/staff/reviews")
        await expect(page.locator("article.review h2")).to_have_text("示例医疗器械有限公司")
        await shot(page, "staff-review-list")
        await page.get_by_role("button", name="审核通过").click()
        await expect(page.locator("#notice")).to_have_text("已审核通过，审核结果已通知联系人。")
        await expect(page.locator("#no-pending")).to_be_visible()
        await shot(page, "approved")

        await page.goto(f"{url}/dev/messages")
        message = page.locator("article.message").first
        await expect(message).to_have_attribute("data-channel", "email")
        await expect(message.locator(".recipient")).to_have_text("lisi@example.com")
        await expect(message).to_contain_text("审核通过")
        await shot(page, "notification-sent")

        await page.goto(f"{portal.url}/space/bindings")
        await udi_row(page).get_by_role("link", name=UDI.display_name).click()
        await page.wait_for_url(f"{url}/")
        await expect(page.locator("#local-username")).to_have_text(re.compile(r"^udi_"))
        await expect(page.locator("#login-method")).to_have_text("政务服务门户单点登录")
        await shot(page, "in-the-system")
