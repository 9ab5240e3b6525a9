"""The drug system's 信息采集 in a real browser: the legal person fills an 出口药品档案 (a refused
draft, then saved, edited, submitted and changed, the first version still viewable) and grants
it to an agent in 子用户授权, who is refused before and let in after. The system runs in this
process under uvicorn; logins go through a FAKE portal (tests/support/fake_portal.py) whose
/authorize the browser's requests are routed to, so no portal process is needed."""
from __future__ import annotations

import asyncio

import httpx
import pytest_asyncio
import uvicorn
from playwright.async_api import expect

from mock_systems.drug import PROFILE as DRUG, create_app
from shared.processes import free_port
from tests.browser.conftest import STEP_TIMEOUT_MS
from tests.browser.steps import ON_BROWSER_LOOP
from tests.mock_systems.drug.conftest import AGENT, LEGAL, DrugSystem
from tests.support.fake_portal import FakePortal, system_settings

pytestmark = ON_BROWSER_LOOP



@pytest_asyncio.fixture(loop_scope="session")
async def drug(databases):
    """The drug system served on a loopback port, against the fake portal."""
    fake, port = FakePortal(DRUG.client_id), free_port()
    settings = system_settings(DRUG, fake, await databases.empty(), base_url=f"http://127.0.0.1:{port}")
    app = create_app(settings, http=httpx.AsyncClient(transport=fake.transport()))
    app.state.fake = fake
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the drug system did not start"
        await asyncio.sleep(0.05)
    try:
        yield DrugSystem(app, fake)
    finally:
        server.should_exit = True
        await task


async def browser_as(chromium, drug: DrugSystem, person):
    """A browser context logged in to the drug system as ``person`` through the fake portal."""
    await drug.bind(person)
    await drug.supply_enterprise_info(person)  # 补充企业信息: test_agents.py walks through it
    drug.fake.userinfo[person.sub] = person.claims
    base = drug.system.settings.base_url
    context = await chromium.new_context(base_url=base, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)

    async def portal(route):  # the portal's answer to the authorization request: back with a code
        await route.fulfill(status=302, headers={"Location": base + drug.fake.answer_authorization(
            route.request.url, sub=person.sub)})

    await context.route(f"{drug.fake.issuer}/**", portal)
    page = await context.new_page()
    await page.goto("/")
    await page.click("text=通过政务服务门户登录")
    await expect(page.locator("#portal-sub")).to_have_text(person.sub)
    return context, page


async def test_fill_submit_change_and_grant_an_agent(chromium, drug, shot):
    legal_context, legal = await browser_as(chromium, drug, LEGAL)
    agent_context, agent = await browser_as(chromium, drug, AGENT)
    try:
        await legal.click("text=信息采集")
        await expect(legal.locator("#sub-user-grants")).to_have_text("子用户授权")
        await shot(legal, "collection")
        await legal.click("#export-dossiers")
        await legal.click("#new-dossier")
        await legal.fill("#generic_name", "阿莫西林胶囊")
        await legal.fill("#dosage_form", "胶囊剂")
        await legal.click("text=保存草稿")
        await expect(legal.locator("#errors")).to_contain_text("请填写规格。")
        await expect(legal.locator("#generic_name")).to_have_value("阿莫西林胶囊")
        await shot(legal, "required-fields")
        for field, value in (("strength", "0.25g"), ("approval_number", "国药准字H20000001"),
                             ("manufacturer", "示例药业股份有限公司"), ("destination", "越南"),
                             ("package_spec", "24粒/盒")):
            await legal.fill(f"#{field}", value)
        await legal.click("text=保存草稿")
        await expect(legal.locator("#dossier-state")).to_have_text("草稿")
        await legal.click("#edit-dossier")
        await legal.fill("#package_spec", "12粒/盒")
        await legal.click("text=保存修改")
        await expect(legal.locator("#value-package_spec")).to_have_text("12粒/盒")
        await legal.click("#submit-dossier")
        await expect(legal.locator("#dossier-state")).to_have_text("已提交")
        await expect(legal.locator("#delete-dossier")).to_have_count(0)
        await legal.click("#change-dossier")
        await legal.fill("#destination", "泰国")
        await legal.fill("#change_reason", "新增出口国家")
        await legal.click("text=提交变更")
        await expect(legal.locator("#dossier-version")).to_have_text("第2版")
        await expect(legal.locator("#value-destination")).to_have_text("泰国")
        await shot(legal, "changed")
        await legal.click("text=查看第1版")
        await expect(legal.locator("#value-destination")).to_have_text("越南")
        await shot(legal, "first-version")

        await agent.goto("/collection/export-dossiers")
        await expect(agent.locator(".error")).to_have_text(
            "您没有出口药品档案信息采集的操作权限，请联系法人账号在“子用户授权”中授权。")
        await shot(agent, "agent-refused")

        await legal.goto("/collection")
        await legal.click("#sub-user-grants")
        await legal.click("#agents >> text=选择")
        await legal.check("#module-export_dossier")
        await legal.click("text=保存")
        await expect(legal.locator(".notice")).to_have_text("保存成功，授权已生效。")
        await expect(legal.locator("#agents")).to_contain_text("出口药品档案信息采集")
        await shot(legal, "granted")

        await agent.goto("/collection")
        await agent.click("#export-dossiers")
        await expect(agent.locator("#dossiers")).to_contain_text("阿莫西林胶囊")
        await shot(agent, "agent-list")
    finally:
        await legal_context.close()
        await agent_context.close()
