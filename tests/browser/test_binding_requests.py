"""A 不可解除 binding undone on request, in real browsers: the user binds 医疗器械分类界定信息系统
by 直接授权创建新的账号 (不可解除) and files a 解除绑定 request through /problem, logged in; a binding
administrator signs in to /staff (password and TOTP), opens the request, sees the user's binding
and undoes it; the user's 我的绑定 shows 授权绑定 again, the header counts one unread note and
我的消息 shows it."""
from __future__ import annotations

from playwright.async_api import expect

from idp.staff.roles import BINDINGS
from mock_systems.classification import PROFILE as CLASSIFICATION
from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP, another_browser, log_in, running, staff_sign_in
from tests.support.live import register_account
from tests.support.staff import add_staff

pytestmark = ON_BROWSER_LOOP
REASON = "用户申请解除不可解除的绑定，已核实身份"
DESCRIPTION = "本人绑定时误选了“直接授权创建新的账号”，现申请解除与医疗器械分类界定信息系统的绑定。"


async def test_a_binding_administrator_undoes_a_fixed_binding_on_request(page, portal, databases, tmp_path, chromium,
                                                                        shot, console_errors):
    async with running(portal, databases, tmp_path, "classification", CLASSIFICATION):
        await register_account(portal.database_url, "zhangsan", account_type="personal", id_type="居民身份证",
                               id_number="110000198506120133", realname_level=2)
        await page.goto("/space/bindings")
        await log_in(page, "zhangsan")
        await page.goto("/space/bindings")
        await page.click("#system-classification a.bind")
        await page.click("#mode-create")
        await page.wait_for_url(f"{portal.url}/space/bindings*")
        row = page.locator("#system-classification")
        await expect(row).to_have_attribute("data-state", "fixed")
        await expect(row).to_contain_text("不可解除")
        await shot(page, "fixed-binding")

        # The user asks, logged in: the form is prefilled with the account's data.
        await page.goto("/problem?ssywxt=classification")
        await page.select_option("#category", "unbinding")
        await page.select_option("#account_type", "personal")
        await page.fill("#title", "申请解除医疗器械分类界定信息系统的绑定")
        await page.fill("#description", DESCRIPTION)
        await page.fill("#email", "zhangsan@example.com")
        await page.fill("#captcha", CAPTCHA)
        await shot(page, "request-form")
        await page.click("#submit")
        reference = (await page.inner_text("#reference")).strip()
        await shot(page, "request-filed")

        # A binding administrator acts on it in the staff console.
        secret = await add_staff(portal.database_url, "bangding01", BINDINGS, name="绑定管理员")
        async with another_browser(chromium, portal, console_errors) as desk:
            await staff_sign_in(desk, "bangding01", secret)
            await desk.click("#menu-bindings")
            await expect(desk.locator(f"#request-{reference}")).to_be_visible()
            await shot(desk, "staff-requests")
            await desk.click(f"#request-{reference} a")
            await expect(desk.locator("#request-system")).to_have_text(CLASSIFICATION.display_name)
            await expect(desk.locator("#tied")).to_be_visible()
            binding = desk.locator("#binding-classification")
            await expect(binding).to_have_attribute("data-state", "active")
            await expect(binding).to_contain_text("不可解除")
            await shot(desk, "staff-request")
            await binding.locator("input.reason").fill(REASON)
            await desk.click("#unbind-classification")
            await expect(desk.locator("#bindings-notice")).to_contain_text("已解除绑定")
            await expect(desk.locator("#no-bindings")).to_be_visible()
            await shot(desk, "staff-unbound")
            await desk.click("#send-answer")
            await expect(desk.locator("#bindings-notice")).to_have_text("已回复该申请。")
            await shot(desk, "staff-answered")

        # The user: 授权绑定 again, two notes unread in the header (the undoing and the answer).
        await page.goto("/space/bindings")
        await expect(row).to_have_attribute("data-state", "bind")
        await expect(row.get_by_role("link", name="授权绑定")).to_be_visible()
        await expect(page.locator("#unread-count")).to_have_text("2")
        await shot(page, "bindable-again")
        await page.click("#header-messages")
        note = page.locator('#messages tr.message[data-kind="binding_force_unbound"]')
        await expect(note.locator("td.title")).to_have_text("业务系统绑定已解除")
        await expect(note.locator("td.body")).to_contain_text(REASON)
        await expect(note.locator("td.state")).to_have_text("新消息")
        await expect(page.locator("#unread-count")).to_have_count(0)
        await shot(page, "my-messages")
