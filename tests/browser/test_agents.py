"""经办人 in a real browser, against the portal and business systems as live processes (as
`make run` runs them): the drug system's walk-through (the legal person binds the drug system, authorizes
two agents, grants one of them 出口药品档案信息采集 inside the drug system; that agent files and
submits a dossier, the other is refused) and UDI for agents (an agent bound to an existing UDI
sub-account, logging in through 法人登录), then the agent's removal: its open session in UDI ends
and its next single sign-on fails."""
from __future__ import annotations

import asyncio
import re

from playwright.async_api import Page, expect

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.drug import PROFILE as DRUG
from mock_systems.udi import PROFILE as UDI
from shared.messages import text
from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP, another_browser, log_in, running
from tests.support.agents import citizen_id, credit_code
from tests.support.live import register_account

pytestmark = ON_BROWSER_LOOP
ENTERPRISE = dict(account_type="legal_person", name="李法人", id_type="居民身份证",
                  id_number=citizen_id(901, "19700101"),
                  mobile="13900139000", enterprise_name="示例药业股份有限公司", credit_code=credit_code(7),
                  realname_level=2)


def person(name: str, serial: int, mobile: str) -> dict:
    return dict(name=name, id_type="居民身份证", id_number=citizen_id(serial), mobile=mobile, realname_level=2)


async def legal_login(page: Page, username: str) -> None:
    await page.goto("/space")
    await log_in(page, username, window="legal")
    await page.wait_for_url(re.compile(r"/space$"))


async def add_agent(page: Page, id_number: str, name: str) -> None:
    await page.goto("/space/agents")
    await page.get_by_label("经办人身份证号码").fill(id_number)
    await page.get_by_role("button", name="新增经办人").click()
    await expect(page.locator("#notice")).to_have_text(text("agents.added", name=name))
    await expect(page.locator("#agent-name")).to_have_text(name)


async def bind_for_agent(page: Page, client_id: str, mode: str) -> None:
    """On the selected agent's page: 授权绑定 beside a waiting system, then one of the two modes."""
    await page.locator(f"#waiting-{client_id} a.bind").click()
    await page.wait_for_url(re.compile(rf"/space/agents/\d+/bindings/{client_id}$"))
    await page.click(f"#mode-{mode}")


async def sso_from_my_bindings(page: Page, portal_url: str, client_id: str, name: str, system_url: str,
                               shot=None) -> None:
    await page.goto(f"{portal_url}/space/bindings")
    await page.locator(f"#system-{client_id}").get_by_role("link", name=name).click()
    await page.wait_for_url(f"{system_url}/**")
    if client_id == "drug":  # seed 002 section 2.2 (3) and (4): the drug system's own first steps
        await expect(page.locator("#entry-question")).to_have_text("是否登录【药品业务应用系统】")
        if shot is not None:
            await shot(page, "drug-confirm")
        await page.locator("#entry-confirm").click()
        await expect(page.locator("#ca-skip")).to_have_text("跳过，普通用户登录")
        if shot is not None:
            await shot(page, "drug-ca-prompt")
        await page.locator("#ca-skip").click()
        await expect(page.get_by_role("link", name="信息采集")).to_be_visible()


async def test_seed_002_an_agent_files_an_export_dossier_after_both_authorizations(
        page, chromium, portal, databases, tmp_path, shot, console_errors):
    await register_account(portal.database_url, "yaoye_demo", **ENTERPRISE)
    await register_account(portal.database_url, "lisi", **person("李四", 21, "13700137001"))
    await register_account(portal.database_url, "wangwu", **person("王五", 22, "13700137002"))
    async with running(portal, databases, tmp_path, "drug", DRUG) as drug:
        # 2.1 the legal person binds the drug system (直接授权创建新的账号).
        await legal_login(page, "yaoye_demo")
        await page.goto("/space/bindings")
        await page.locator("#system-drug a.bind").click()
        await page.click("#mode-create")
        await page.wait_for_url(f"{portal.url}/space/bindings*")
        await expect(page.locator("#system-drug")).to_have_attribute("data-state", "fixed")
        # 2.3.1 经办人授权 on the portal: both agents, each given the drug system.
        for name, serial in (("李四", 21), ("王五", 22)):
            await add_agent(page, citizen_id(serial), name)
            await shot(page, f"agent-added-{serial}")
            await bind_for_agent(page, "drug", "create")
            await page.wait_for_url(re.compile(r"/space/agents/\d+\?"))
            await expect(page.locator("#authorized-drug")).to_have_attribute("data-state", "fixed")
        await shot(page, "agents-authorized")
        # 2.3.2 子用户授权 inside the drug system: 出口药品档案信息采集 for 李四 only.
        await sso_from_my_bindings(page, portal.url, "drug", DRUG.display_name, drug.url, shot)
        await page.get_by_role("link", name="信息采集").click()
        # 2.2 (6) the enterprise's first entry to 信息采集: 补充企业信息 before any business.
        await expect(page.locator("#enterprise-needed")).to_be_visible()
        await page.fill("#address", "北京市西城区示例路1号")
        await page.fill("#contact_name", "李四")
        await page.fill("#contact_phone", "010-12345678")
        await shot(page, "drug-enterprise-info")
        await page.get_by_role("button", name="保存").click()
        await expect(page.locator("#notice")).to_have_text("企业信息已补充，现在可以办理信息采集类业务。")
        await page.locator("#sub-user-grants").click()
        await page.locator("#agents tr", has_text="李四").get_by_role("link", name="选择").click()
        await page.locator("#module-export_dossier").check()
        await page.get_by_role("button", name="保存").click()
        await expect(page.locator(".notice")).to_have_text("保存成功，授权已生效。")
        await shot(page, "sub-user-granted")

    # 2.4 the agent logs in through 法人登录 with its own username and files a dossier (3).
        async with another_browser(chromium, portal, console_errors) as agent:
            await legal_login(agent, "lisi")
            await expect(agent.locator("#space-user")).to_have_text("示例药业股份有限公司")
            await expect(agent.locator("#acting-person")).to_have_text("经办人：李四")
            await agent.goto("/space/bindings")
            await expect(agent.locator("#bindings tr")).to_have_count(1)  # only what the enterprise authorized
            await shot(agent, "agent-my-bindings")
            await sso_from_my_bindings(agent, portal.url, "drug", DRUG.display_name, drug.url)
            await agent.get_by_role("link", name="信息采集").click()
            await agent.locator("#export-dossiers").click()
            await agent.locator("#new-dossier").click()
            for label, value in (("药品通用名称", "阿莫西林胶囊"), ("剂型", "胶囊剂"), ("规格", "0.25g"),
                                 ("药品批准文号/注册证号", "国药准字H20000001"), ("生产企业", "示例药业股份有限公司"),
                                 ("出口国家或地区", "新加坡"), ("包装规格", "24粒/盒")):
                await agent.get_by_label(label, exact=False).first.fill(value)
            await agent.get_by_role("button", name="保存草稿").click()
            await expect(agent.locator("#dossier-state")).to_have_text("草稿")
            await agent.locator("#submit-dossier").click()
            await expect(agent.locator("#dossier-state")).to_have_text("已提交")
            await expect(agent.locator("#recorded-by")).to_contain_text("李四")
            await shot(agent, "dossier-submitted")

        # The other agent, without the grant, is refused inside the drug system.
        async with another_browser(chromium, portal, console_errors) as other:
            await legal_login(other, "wangwu")
            await sso_from_my_bindings(other, portal.url, "drug", DRUG.display_name, drug.url)
            await other.goto(f"{drug.url}/collection/export-dossiers")
            await expect(other.locator(".error")).to_have_text(
                "您没有出口药品档案信息采集的操作权限，请联系法人账号在“子用户授权”中授权。")
            refused = [e for e in console_errors if "status of 403" in e]
            assert refused, console_errors
            for entry in refused:
                console_errors.remove(entry)
            await shot(other, "agent-without-grant-refused")


async def test_seed_001_step_4_an_agent_on_an_existing_udi_sub_account_and_its_removal(
        page, chromium, portal, databases, tmp_path, shot, console_errors):
    await register_account(portal.database_url, "qiye_demo",
                           **{**ENTERPRISE, "enterprise_name": "示例医疗器械有限公司"})
    await register_account(portal.database_url, "lisi", **person("李四", 21, "13700137001"))
    async with running(portal, databases, tmp_path, "udi", UDI) as udi:
        await legal_login(page, "qiye_demo")
        await add_agent(page, citizen_id(21), "李四")
        await page.locator("#waiting-udi a.bind").click()
        await expect(page.locator("#mode-create")).to_have_count(0)  # UDI: agents bind existing sub-accounts only
        await expect(page.locator("#existing-only")).to_be_visible()
        await shot(page, "udi-existing-only")
        await page.click("#mode-existing")
        await page.wait_for_url(f"{udi.url}/binding/start?*")
        await page.fill("#username", "udi_demo2")
        await page.fill("#password", DEMO_LOCAL_PASSWORD)
        await page.fill("#captcha", CAPTCHA)
        await page.get_by_role("button", name="授权绑定").click()
        await page.wait_for_url(re.compile(r"/space/agents/\d+\?"))
        await expect(page.locator("#notice")).to_have_text(text("binding.result_linked", system=UDI.display_name))
        await expect(page.locator("#authorized-udi")).to_have_attribute("data-state", "unbind")
        await shot(page, "udi-authorized-for-agent")

        async with another_browser(chromium, portal, console_errors) as agent:
            await legal_login(agent, "lisi")
            await sso_from_my_bindings(agent, portal.url, "udi", UDI.display_name, udi.url)
            await expect(agent.locator("#local-username")).to_have_text("udi_demo2")
            await shot(agent, "agent-in-udi")

            # 移除经办人: the agent's UDI session ends (back-channel logout), its next SSO fails.
            await page.get_by_role("button", name="移除该经办人").click()
            await page.wait_for_url(re.compile(r"/space/agents\?done=removed$"))
            await expect(page.locator("#notice")).to_have_text(text("agents.removed"))
            await expect(page.locator("#no-agents")).to_be_visible()
            await shot(page, "agent-removed")
            await reload_until_logged_out(agent, udi.url)
            await shot(agent, "agent-logged-out-of-udi")
            await agent.goto(f"{udi.url}/auth/login")
            await agent.wait_for_url(re.compile(r"/login\?"))
            await log_in(agent, "lisi", window="legal")
            await expect(agent.locator("#login-error")).to_have_text(text("login.not_agent"))
            await shot(agent, "removed-agent-refused")


async def reload_until_logged_out(agent: Page, url: str) -> None:
    """The system's home page shows nobody logged in once the back-channel logout arrived
    (sent right after the removal, by the portal's outbox)."""
    for _ in range(40):
        await agent.goto(f"{url}/")
        if await agent.locator("#not-logged-in").count():
            return
        await asyncio.sleep(0.25)
    raise AssertionError("the agent is still logged in to the system")
