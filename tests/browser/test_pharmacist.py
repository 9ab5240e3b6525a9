"""The licensed-pharmacist system (全国执业药师注册管理信息系统) in a real browser, against the portal
and the system as live processes (seed 004): 王芳 registers on the portal (二级) and 我的绑定 tells
her 需三级实名认证; she upgrades to 三级 through the CTID stand-in, binds with 直接授权创建新的账号,
lands in the system and submits 执业药师注册申请 (待审核). 周杰, whose register record still holds a
15-digit number of another form, is refused with the guide's steps; the provincial administrator
upgrades the record and 周杰 binds at once. A legal person and its agent never see the system."""
from __future__ import annotations

import contextlib
import re

from playwright.async_api import Page, expect

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.pharmacist import PROFILE as PHARMACIST
from shared.messages import text
from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP, another_browser, answered, log_in
from tests.support.agents import citizen_id, credit_code
from tests.support.binding_flows import catalogue_rules
from tests.support.live import free_port, register_account
from tests.support.live_binding import register_system
from tests.support.live_systems import live_system

pytestmark = ON_BROWSER_LOOP
NAME = PHARMACIST.display_name
PASSWORD = "Yaoshi#2026reg"


@contextlib.asynccontextmanager
async def pharmacist_system(portal, databases, tmp_path):
    """The system on a port of this test, registered with the catalogue's rules and scopes."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client = await register_system(portal.database_url, PHARMACIST.client_id, url, display_name=NAME,
                                   scopes=["openid", "profile", "identity", "enterprise", "id_number"],
                                   **catalogue_rules(PHARMACIST.client_id))
    async with live_system("pharmacist", PHARMACIST, port, tmp_path, issuer=portal.process.issuer,
                           database_url=await databases.empty(), client_secret=client.client_secret):
        yield url


def row(page: Page):
    return page.locator(f"#system-{PHARMACIST.client_id}")


async def register_at_level_two(page: Page, portal_url: str) -> None:
    await page.goto("/login?window=personal")
    await page.click("#register")
    await page.wait_for_url(f"{portal_url}/register/personal?flow=*")
    await page.fill("#name", "王芳")
    await page.select_option("#id_type", "居民身份证")
    await page.fill("#id_number", "31000019920229024X")
    await page.fill("#valid_from", "2012-03-01")
    await page.fill("#valid_to", "2032-03-01")
    await page.fill("#mobile", "13700137000")
    await page.fill("#email", "wangfang@example.com")
    await page.fill("#username", "wangfang")
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.fill("#captcha", CAPTCHA)
    await page.click("#submit")
    await expect(page.locator("#success")).to_contain_text("实名等级：二级")


async def upgrade_to_level_three(page: Page, portal_url: str) -> None:
    await page.click("#submit")  # 开始认证
    await page.wait_for_url(f"{portal_url}/upgrade?flow=*")
    async with page.context.expect_page() as opened:
        await page.click("#ctid-app")
    ctid = await opened.value
    await ctid.wait_for_load_state()
    request = ctid.locator("tr.confirmation").filter(has_text="王芳")
    await expect(request).to_have_count(1)
    confirmation = re.search(r"\d{6}", await request.locator("td").nth(1).inner_text()).group(0)
    await ctid.close()
    await page.fill("#confirmation", confirmation)
    await page.click("#submit")  # 确认升级
    await expect(page.locator("#current-level")).to_have_text("实名等级：三级")


async def bind_by_creating(page: Page, portal_url: str) -> None:
    await page.goto(f"{portal_url}/space/bindings")
    await row(page).locator("a.bind").click()
    await page.wait_for_url(re.compile(r"/space/bindings/pharmacist$"))
    await expect(page.locator("#system-name")).to_have_text(NAME)
    await page.click("#mode-create")


async def test_a_pharmacist_upgrades_to_三级_binds_and_applies(page, portal, databases, tmp_path, shot, chromium,
                                                             console_errors):
    async with pharmacist_system(portal, databases, tmp_path) as url:
        await register_at_level_two(page, portal.url)
        await page.click("#login-personal")
        await log_in(page, "wangfang", PASSWORD, window="personal")
        await page.wait_for_url(f"{portal.url}/space")
        await page.goto("/space/bindings")
        await expect(row(page)).to_have_attribute("data-state", "level")
        await expect(row(page).locator(".level-required")).to_have_text("需三级实名认证")
        await expect(row(page).locator("a.bind")).to_have_count(0)
        await shot(page, "level-two-cannot-bind")

        await row(page).get_by_role("link", name="升级为三级实名").click()
        await page.wait_for_url(f"{portal.url}/upgrade")
        await upgrade_to_level_three(page, portal.url)
        await shot(page, "upgraded-to-level-three")

        await bind_by_creating(page, portal.url)
        await page.wait_for_url(f"{portal.url}/space/bindings*")
        await expect(row(page)).to_have_attribute("data-state", "fixed")
        await shot(page, "bound-by-creating")
        await row(page).get_by_role("link", name=NAME).click()
        await page.wait_for_url(f"{url}/")
        await expect(page.locator("#login-method")).to_have_text("政务服务门户单点登录")
        await page.get_by_role("link", name="执业药师注册", exact=True).click()
        await page.wait_for_url(f"{url}/registration")
        await expect(page.locator("#record-name")).to_have_text("王芳")
        await expect(page.locator("#record-certificate")).to_have_text("ZYYS2019310002")
        await page.get_by_label("执业单位").fill("示例大药房连锁有限公司")
        await page.get_by_label("执业类别").select_option("药学")
        await page.get_by_label("执业范围").select_option("药品经营")
        await shot(page, "application-form")
        await page.get_by_role("button", name="提交").click()
        await expect(page.locator("#application-state")).to_have_text("待审核")
        await expect(page.locator("#notice")).to_have_text(text("pharmacist.application_submitted"))
        await shot(page, "application-pending")

        # 周杰: the register holds an older 15-digit number that does not convert to his.
        await register_account(portal.database_url, "zhoujie", account_type="personal", name="周杰",
                               id_type="居民身份证", id_number="310000197203151234", mobile="13600136000",
                               realname_level=3)
        async with another_browser(chromium, portal, console_errors) as zhou:
            await zhou.goto("/space/bindings")
            await log_in(zhou, "zhoujie", window="personal")
            await bind_by_creating(zhou, portal.url)
            await zhou.wait_for_url(f"{url}/binding/start*")
            await expect(zhou.locator("#refusal")).to_have_text(text("pharmacist.no_record"))
            await expect(zhou.locator("#guidance")).to_contain_text("中国人事考试网")
            await expect(zhou.locator("#guidance")).to_contain_text("省局管理员核实后，可以升级注册系统中身份证号码")
            answered(console_errors, 403)
            await shot(zhou, "fifteen-digit-refused")
            await zhou.goto(f"{portal.url}/space/bindings")
            await expect(row(zhou)).to_have_attribute("data-state", "bind")  # over at once, not pending

            await page.goto(f"{url}/staff/login")
            await page.get_by_label("用户名").fill("pharmacist_admin")
            await page.get_by_label("密码").fill(DEMO_LOCAL_PASSWORD)
            await page.get_by_label("图形验证码").fill(CAPTCHA)
            await page.get_by_role("button", name="登录").click()
            await page.wait_for_url(f"{url}/staff/register")
            record = page.locator("#register tr", has_text="周杰")
            await expect(record.locator(".id-number")).to_have_text("310000720315122")
            await record.get_by_label("18位身份证号码").fill("310000197203151234")
            await shot(page, "administrator-upgrades")
            await record.get_by_role("button", name="升级").click()
            await expect(page.locator("#notice")).to_have_text(
                text("pharmacist.upgrade_done", id_number="310000197203151234"))
            await shot(page, "upgraded-record")

            await bind_by_creating(zhou, portal.url)
            await zhou.wait_for_url(f"{portal.url}/space/bindings*")
            await expect(row(zhou)).to_have_attribute("data-state", "fixed")
            await shot(zhou, "fifteen-digit-bound-after-upgrade")

        # A legal person and its agent (法人登录) never see it offered.
        await register_account(portal.database_url, "yaofang", account_type="legal_person", name="李法人",
                               id_type="居民身份证", id_number=citizen_id(901, "19700101"), mobile="13900139000",
                               enterprise_name="示例大药房连锁有限公司", credit_code=credit_code(7), realname_level=2)
        await register_account(portal.database_url, "jingban", account_type="personal", name="赵经办",
                               id_type="居民身份证", id_number=citizen_id(31), mobile="13500135000",
                               realname_level=3)
        async with another_browser(chromium, portal, console_errors) as legal:
            await legal.goto("/space")
            await log_in(legal, "yaofang", window="legal")
            await legal.wait_for_url(re.compile(r"/space$"))
            await legal.goto("/space/bindings")
            await expect(legal.locator("#bindings")).to_be_visible()
            await expect(row(legal)).to_have_count(0)
            await expect(legal.locator("#bindings")).not_to_contain_text(NAME)
            await shot(legal, "legal-person-not-offered")
            await legal.goto("/space/agents")
            await legal.get_by_label("经办人身份证号码").fill(citizen_id(31))
            await legal.get_by_role("button", name="新增经办人").click()
            await expect(legal.locator("#agent-name")).to_have_text("赵经办")
            await expect(legal.locator("main")).not_to_contain_text(NAME)
            await shot(legal, "agent-page-not-offered")
        async with another_browser(chromium, portal, console_errors) as agent:
            await agent.goto("/space")
            await log_in(agent, "jingban", window="legal")
            await agent.wait_for_url(re.compile(r"/space$"))
            await agent.goto("/space/bindings")
            await expect(agent.locator("#agent-note")).to_be_visible()
            await expect(row(agent)).to_have_count(0)
            await shot(agent, "agent-not-offered")
