"""Registration in a real browser: a legal person (开始认证 → 创建用户 → 确认注册) and a person
(实名等级二级), each then logging in through its window; bad input comes back on the same form."""
from __future__ import annotations

from playwright.async_api import expect

from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP, log_in
from tests.support.live import register_account

pytestmark = ON_BROWSER_LOOP

PASSWORD = "Qiye#2026reg"


async def fill_identity(page, name: str, id_number: str, valid_from: str, valid_to: str | None) -> None:
    await page.fill("#name", name)
    await page.select_option("#id_type", "居民身份证")
    await page.fill("#id_number", id_number)
    await page.fill("#valid_from", valid_from)
    if valid_to is None:
        await page.check("#long_term")
    else:
        await page.fill("#valid_to", valid_to)


async def fill_credentials(page, username: str) -> None:
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)


async def test_register_a_legal_person_and_log_in_to_the_legal_space(page, portal, shot):
    await page.goto("/login?window=legal")
    await page.click("#register")
    await page.wait_for_url(f"{portal.url}/register/legal?flow=*")
    await page.fill("#enterprise_name", "示例医疗器械有限公司")
    await page.fill("#credit_code", "91110105PDY0001753")  # a wrong check character (GB 32100)
    await fill_identity(page, "李四", "330000197001010023", "2016-01-01", None)
    await page.fill("#mobile", "13900139000")
    await page.fill("#email", "qiye@example.com")
    await page.fill("#captcha", CAPTCHA)
    await shot(page, "enterprise-form")
    await page.click("#submit")
    await expect(page.locator("#credit_code-error")).to_have_text("统一社会信用代码校验位不正确，请核对后重新输入")
    # Everything typed is still there; only the captcha is asked for again.
    await expect(page.locator("#enterprise_name")).to_have_value("示例医疗器械有限公司")
    await expect(page.locator("#id_number")).to_have_value("330000197001010023")
    await expect(page.locator("#long_term")).to_be_checked()
    await expect(page.locator("#captcha")).to_have_value("")
    await shot(page, "wrong-credit-code")

    await page.fill("#credit_code", "91110105PDY0001752")
    await page.fill("#captcha", CAPTCHA)
    await page.click("#submit")  # 开始认证
    await expect(page.locator("#enterprise-name")).to_have_text("示例医疗器械有限公司")
    await expect(page.locator("#steps li[aria-current=step]")).to_have_text("2 创建用户")
    await fill_credentials(page, "qiye_demo")
    await shot(page, "create-user")
    await page.click("#submit")  # 确认注册
    await expect(page.locator("#registered-username")).to_have_text("qiye_demo")
    await shot(page, "registered")

    await page.click("#login-legal")
    await log_in(page, "qiye_demo", PASSWORD, window="legal")
    await page.wait_for_url(f"{portal.url}/space")
    await expect(page.locator("#space-name")).to_have_text("法人空间")
    await expect(page.locator("#space-user")).to_have_text("示例医疗器械有限公司")
    await page.click("#menu-settings")
    await expect(page.locator("#profile-credit-code")).to_have_text("91110105PDY0001752")
    await expect(page.locator("#profile-name")).to_have_text("李四")
    await shot(page, "legal-space-settings")


async def test_register_a_person_at_level_two_and_log_in_by_id_number(page, portal, shot):
    await page.goto("/login?window=personal")
    await page.click("#register")
    await page.wait_for_url(f"{portal.url}/register/personal?flow=*")
    await fill_identity(page, "王芳", "31000019920229024X", "2012-03-01", "2032-03-01")
    await page.fill("#mobile", "13700137000")
    await page.fill("#email", "wangfang@example.com")
    await fill_credentials(page, "wangfang")
    await page.fill("#password_confirm", "Other#2026pass")
    await page.fill("#captcha", CAPTCHA)
    await page.click("#submit")
    await expect(page.locator("#password_confirm-error")).to_have_text("两次输入的密码不一致")
    await expect(page.locator("#password")).to_have_value("")  # passwords are never sent back
    await expect(page.locator("#username")).to_have_value("wangfang")
    await shot(page, "passwords-differ")

    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.fill("#captcha", CAPTCHA)
    await shot(page, "personal-form")
    await page.click("#submit")
    await expect(page.locator("#success")).to_contain_text("实名等级：二级")
    await expect(page.locator("#registered-username")).to_have_text("wangfang")
    await shot(page, "registered")

    await page.click("#login-personal")
    await log_in(page, "31000019920229024X", PASSWORD, window="personal")
    await page.wait_for_url(f"{portal.url}/space")
    await expect(page.locator("#space-name")).to_have_text("个人空间")
    await expect(page.locator("#realname-level")).to_have_text("实名等级：二级")
    await shot(page, "personal-space")


async def test_an_id_number_with_an_account_points_to_recovery(page, portal, shot):
    await register_account(portal.database_url, "wangfang", account_type="personal", name="王芳",
                           id_type="居民身份证", id_number="31000019920229024X", mobile="13700137000",
                           realname_level=2)
    await page.goto("/register/personal")
    await fill_identity(page, "王芳", "31000019920229024X", "2012-03-01", "2032-03-01")
    await page.fill("#mobile", "13600136000")
    await page.fill("#email", "wangfang2@example.com")
    await fill_credentials(page, "wangfang2")
    await page.fill("#captcha", CAPTCHA)
    await page.click("#submit")
    await expect(page.locator("#error")).to_contain_text("证件号码已存在")
    await expect(page.locator("#id_number")).to_have_value("31000019920229024X")
    await shot(page, "id-number-exists")
    await page.click("#recover-link")
    await page.wait_for_url(f"{portal.url}/recovery?flow=*")
    await expect(page.locator("h1")).to_have_text("忘记密码")
