"""The upgrade to real-name level 三级 in a real browser: 开始认证, the confirmation read from the
CTID stand-in at /dev/ctid (opened from the page, in a tab of its own), 确认升级."""
from __future__ import annotations

import datetime as dt
import re

from playwright.async_api import expect

from tests.browser.steps import ON_BROWSER_LOOP, log_in
from tests.support.live import register_account

pytestmark = ON_BROWSER_LOOP


async def test_upgrade_a_personal_account_to_level_three(page, portal, shot):
    await register_account(portal.database_url, "zhangsan", account_type="personal", id_type="居民身份证",
                           id_number="110000198506120133", mobile="13800138000", id_valid_from=dt.date(2015, 6, 12),
                           id_valid_to=dt.date(2035, 6, 12), realname_level=2)
    await page.goto("/login?window=personal")
    await log_in(page, "zhangsan", window="personal")
    await page.wait_for_url(f"{portal.url}/space")
    await expect(page.locator("#realname-level")).to_have_text("实名等级：二级")
    await page.click("#upgrade-link")
    await expect(page.locator("#current-level")).to_have_text("实名等级：二级")
    await shot(page, "upgrade-start")
    await page.click("#submit")  # 开始认证
    await page.wait_for_url(f"{portal.url}/upgrade?flow=*")
    await shot(page, "upgrade-confirm")

    async with page.context.expect_page() as opened:
        await page.click("#ctid-app")
    ctid = await opened.value
    await ctid.wait_for_load_state()
    request = ctid.locator("tr.confirmation").filter(has_text="张三")
    await expect(request).to_have_count(1)
    await shot(ctid, "ctid-app")
    confirmation = re.search(r"\d{6}", await request.locator("td").nth(1).inner_text()).group(0)
    await ctid.close()

    await page.fill("#confirmation", confirmation)
    await page.click("#submit")  # 确认升级
    await expect(page.locator("#success")).to_have_text("升级成功！")
    await expect(page.locator("#current-level")).to_have_text("实名等级：三级")
    await shot(page, "upgraded")
    await page.click("#back-to-space")
    await expect(page.locator("#realname-level")).to_have_text("实名等级：三级")
    await expect(page.locator("#upgrade-link")).to_have_count(0)
    await page.click("#menu-settings")
    await expect(page.locator("#profile-level")).to_have_text("实名等级：三级")
    await shot(page, "settings-level-three")
