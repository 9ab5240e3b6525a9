"""Regulators in a real browser: the drug system's provincial administrator opens a regulator's
account with the 查阅权限; the regulator logs into the supervision portal (综合监管门户: a live
process of the provider with the staff profile) with its password and TOTP (enrolled at this
first login), binds the account by 已有用户的登录授权, signs in to the drug system from 我的绑定,
searches the export dossiers of its province and opens one's history. The drug system runs in
this process (uvicorn), trusting the supervision portal and a FAKE enterprises' portal."""
from __future__ import annotations

import asyncio
import re

import httpx
import pyotp
import pytest_asyncio
import uvicorn
from playwright.async_api import expect

from idp.accounts.officials import create_official
from idp.settings import PROJECT_ROOT
from idp.testing.setup import admin_session
from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.drug import PROFILE as DRUG, create_app
from mock_systems.drug.supervision import supervision_settings
from shared.hashing import Passwords
from shared.processes import free_port
from tests.browser.conftest import STEP_TIMEOUT_MS
from tests.browser.steps import CAPTCHA, ON_BROWSER_LOOP
from tests.mock_systems.drug.conftest import ENTERPRISE, LEGAL, DrugSystem
from tests.mock_systems.drug.regulation import BEIJING, dossier
from tests.support import live
from tests.support.fake_portal import FakePortal, system_settings
from tests.support.live_binding import register_system
from tests.support.portal import PASSWORD

pytestmark = ON_BROWSER_LOOP
SUPERVISION_ENV = PROJECT_ROOT / "deploy" / "supervision" / "supervision.env"
# make run's supervision settings, on this test's database and port, with the test captcha.
OWN = ("IDP_ISSUER", "IDP_DATABASE_URL", "IDP_DEMO_ACCOUNTS_PATH", "IDP_DEMO_SECRETS_FILE")


def staff_profile() -> dict[str, str]:
    lines = (line.strip() for line in SUPERVISION_ENV.read_text(encoding="utf-8").splitlines())
    settings = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {**{k: v for k, v in settings.items() if k not in OWN}, "IDP_AUTO_MIGRATE": "false",
            "IDP_CAPTCHA_PROVIDER": "test"}



class Routes(httpx.AsyncBaseTransport):
    """The drug system's HTTP: the fake enterprises' portal in memory, the rest (the live
    supervision portal) over the network."""

    def __init__(self, fake: FakePortal):
        self.fake, self.network = fake, httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(self.fake.issuer):
            await request.aread()
            answer = self.fake.handler(request)
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)
        return await self.network.handle_async_request(request)


@pytest_asyncio.fixture(loop_scope="session")
async def supervision(databases, tmp_path):
    database_url = await databases.fresh()
    process = await live.start(database_url, tmp_path, **staff_profile())
    try:
        yield process
    finally:
        await live.stop(process)


@pytest_asyncio.fixture(loop_scope="session")
async def drug(databases, supervision):
    fake, port = FakePortal(DRUG.client_id), free_port()
    base = f"http://127.0.0.1:{port}"
    client = await register_system(supervision.database_url, "drug_supervision", base + "/supervision",
                                   display_name=DRUG.display_name, account_types=["official"],
                                   binding_modes=["existing"], scopes=["openid", "profile", "identity", "supervision"])
    settings = system_settings(DRUG, fake, await databases.empty(), base_url=base)
    app = create_app(settings, supervision_settings(settings, issuer=supervision.issuer,
                                                    client_secret=client.client_secret),
                     http=httpx.AsyncClient(transport=Routes(fake)))
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


async def context_at(chromium, base: str, console_errors: list[str]):
    context = await chromium.new_context(base_url=base, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    return context


async def test_open_log_in_with_totp_bind_query_and_read_a_history(chromium, supervision, drug, shot, console_errors):
    await drug.bind(LEGAL)
    await drug.supply_enterprise_info(LEGAL)
    await dossier(drug, BEIJING, "阿莫西林胶囊", change="泰国")
    await dossier(drug, BEIJING, "布洛芬片")
    async with admin_session(supervision.database_url) as db:
        await create_official(db, Passwords(memory_kib=64, time_cost=1), username="bj_regulator", name="钱监管",
                              unit="北京市药品监督管理局", jurisdiction="110000", password=PASSWORD, actor="test")
    base = drug.system.settings.base_url
    admin_context = await context_at(chromium, base, console_errors)
    official_context = await context_at(chromium, supervision.url, console_errors)
    try:
        admin = await admin_context.new_page()
        await admin.goto("/staff/login")
        await admin.fill("#username", "drug_admin")
        await admin.fill("#password", DEMO_LOCAL_PASSWORD)
        await admin.fill("#captcha", CAPTCHA)
        await admin.click("button[type=submit]")
        await admin.wait_for_url(re.compile(r"/staff/regulators$"))
        await admin.fill("#username", "bj_reader")
        await admin.fill("#name", "钱监管")
        await admin.fill("#unit", "北京市药品监督管理局")
        await admin.fill("#password", "Reader@2026pass")
        await admin.fill("#jurisdiction", "110000")
        await shot(admin, "open-account")
        await admin.click("#open-submit")
        await expect(admin.locator("#regulator-bj_reader .permission")).to_have_text("已授权（行政区划 110000）")
        await shot(admin, "opened")

        page = await official_context.new_page()
        await page.goto("/login")
        await expect(page.locator("#single-window")).to_have_text("用户登录")
        await expect(page.locator("#register")).to_have_count(0)
        await shot(page, "supervision-login")
        await page.fill("#username", "bj_regulator")
        await page.fill("#password", PASSWORD)
        await page.fill("#captcha", CAPTCHA)
        await page.click("#submit")
        secret = await page.locator("#totp-secret").inner_text()
        await expect(page.locator("#totp-qr")).to_be_visible()
        await shot(page, "totp-enrolment")
        await page.fill("#code", pyotp.TOTP(secret).now())
        await page.click("#submit")
        await page.wait_for_url(re.compile(r"/space"))
        await expect(page.locator("#official-unit")).to_have_text("北京市药品监督管理局 · 管辖区域 110000")

        await page.goto("/space/bindings")
        await page.click("#system-drug_supervision a.bind")
        await page.wait_for_url(re.compile(r"/space/bindings/drug_supervision$"))
        await shot(page, "authorize")
        await page.click("#mode-existing")
        await page.wait_for_url(f"{base}/supervision/binding/start?*")
        await page.fill("#username", "bj_reader")
        await page.fill("#password", "Reader@2026pass")
        await page.fill("#captcha", CAPTCHA)
        await shot(page, "bind-existing")
        await page.get_by_role("button", name="授权绑定").click()
        await page.wait_for_url(f"{supervision.url}/space/bindings*")
        await expect(page.locator("#system-drug_supervision")).to_have_attribute("data-state", "unbind")
        await shot(page, "bound")

        await page.locator("#system-drug_supervision a.sso").click()
        await page.wait_for_url(re.compile(re.escape(base) + r"/$"))
        await shot(page, "in-the-drug-system")
        await page.click("text=出口药品档案查阅")
        await expect(page.locator("#jurisdiction")).to_have_text("110000")
        await expect(page.locator("#dossiers")).to_contain_text(ENTERPRISE["name"])
        await page.select_option("#status", "changed")
        await page.click("#search-submit")
        await expect(page.locator("#dossiers tr")).to_have_count(2)  # the header and the changed one
        await shot(page, "search")
        await page.click("#dossiers >> text=查看")
        await expect(page.locator("#dossier-version")).to_have_text("第2版")
        await expect(page.locator("#events")).to_contain_text("变更")
        await shot(page, "history")
        await page.click("text=查看第1版")
        await expect(page.locator("#value-destination")).to_have_text("越南")
        await expect(page.locator("form[method=post]")).to_have_count(0)  # read-only
        await shot(page, "first-version")
    finally:
        await admin_context.close()
        await official_context.close()
