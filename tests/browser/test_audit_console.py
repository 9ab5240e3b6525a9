"""审计 in a real browser: an auditor signs in to the staff console (password, captcha, TOTP),
searches the audit log by event type and actor, pages forward with 下一页 and downloads the search
as CSV; a help-desk member (咨询受理) is refused on the audit pages with the 403 page."""
from __future__ import annotations

import csv
import io
import re

from playwright.async_api import Page, expect

from idp.staff.roles import AUDITOR, HELPDESK
from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP, another_browser, answered
from tests.support.audit import add_events
from tests.support.staff import STAFF_PASSWORD, add_staff, fresh_code

pytestmark = ON_BROWSER_LOOP


async def staff_login(page: Page, username: str, secret: str) -> None:
    await page.goto("/staff/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(STAFF_PASSWORD)
    await page.get_by_label("图形验证码").fill(CAPTCHA)
    await page.click("#submit")
    await page.wait_for_url(re.compile(r"/staff/login/totp$"))
    await page.get_by_label("动态验证码").fill(await fresh_code(secret))
    await page.click("#submit")
    await page.wait_for_url(re.compile(r"/staff$"))


async def test_an_auditor_searches_pages_and_exports_and_the_help_desk_is_refused(
        page: Page, portal, shot, chromium, console_errors, tmp_path):
    alice = await add_events(portal.database_url, 57, event="login.failed", actor="alice", outcome="failure",
                             source_ip="203.0.113.7", details={"reason": "wrong_password", "window": "personal"})
    await add_events(portal.database_url, 4, event="login.failed", actor="bob", outcome="failure")
    await add_events(portal.database_url, 3, event="binding.force_unbind", actor="staff:li", subject="alice",
                     details={"reason": "解除绑定申请 =2+3"})
    auditor = await add_staff(portal.database_url, "shenji", AUDITOR, name="审计员赵")
    helpdesk = await add_staff(portal.database_url, "zixun", HELPDESK, name="受理员钱")

    await staff_login(page, "shenji", auditor)
    await page.click("#menu-auditor")
    await page.wait_for_url(re.compile(r"/staff/audit$"))
    await expect(page.locator("#time-note")).to_contain_text("北京时间")
    await page.get_by_label("事件类型").fill("login.")
    await page.get_by_label("操作者").fill("alice")
    await page.get_by_label("开始时间（含）").fill("2026-12-01 00:00")
    await page.click("#search")
    await page.wait_for_url(re.compile(r"/staff/audit\?"))
    rows = page.locator("tr.audit-event")
    await expect(rows).to_have_count(50)
    await expect(rows.first.locator(".at")).to_have_text("2026-12-01 00:56:00")  # the newest, in Beijing time
    await expect(rows.first.locator(".actor")).to_have_text("alice")
    await shot(page, "search")

    await page.click("#next-page")
    await expect(rows).to_have_count(7)
    await expect(rows.last.locator(".at")).to_have_text("2026-12-01 00:00:00")
    await expect(page.locator("#next-page")).to_have_count(0)
    await shot(page, "second-page")

    async with page.expect_download() as waiting:
        await page.click("#export-csv")
    download = await waiting.value
    assert re.fullmatch(r"audit-\d{8}-\d{6}\.csv", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    exported = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert [int(row["id"]) for row in exported] == list(reversed(alice))  # the whole search, both pages
    assert {row["source_ip"] for row in exported} == {"203.0.113.7"}

    # The export is itself in the log: a search for it finds this auditor.
    await page.goto("/staff/audit")
    await page.get_by_label("事件类型").fill("audit.export")
    await page.click("#search")
    await expect(rows).to_have_count(1)
    await expect(rows.first.locator(".actor")).to_have_text("staff:shenji")
    await page.get_by_label("涉及账号").fill("alice")
    await page.get_by_label("事件类型").fill("binding.")
    await page.click("#search")
    await expect(rows).to_have_count(3)
    await expect(rows.first.locator(".details")).to_contain_text("解除绑定申请 =2+3")
    await shot(page, "export-recorded-and-subject-search")

    async with another_browser(chromium, portal, console_errors) as desk:
        await staff_login(desk, "zixun", helpdesk)
        await expect(desk.locator("#menu-auditor")).to_have_count(0)
        response = await desk.goto("/staff/audit?event=login.")
        assert response is not None and response.status == 403
        answered(console_errors, 403)
        await expect(desk.locator("#forbidden")).to_contain_text("审计")
        await shot(desk, "helpdesk-refused")
        response = await desk.goto("/staff/audit/export/csv")
        assert response is not None and response.status == 403
        answered(console_errors, 403)
