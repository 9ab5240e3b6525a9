"""The integration harness used as a business-system team uses it: the plugin's fixtures start
the portal as a process, seed accounts and register the team's client, and a system of ours
(UDI, mock_systems.udi) runs as its own process in the team's place. Through
idp.testing.client only: log in, 授权绑定 (both modes), SSO from 我的绑定 and from the system,
logout both ways, 解除绑定."""
from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from idp.testing.client import HarnessError, PortalClient, hidden_fields
from idp.testing.portal_process import free_port
from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.udi import PROFILE as UDI
from tests.support.live_systems import CAPTCHA, live_system

pytest_plugins = ["idp.testing.pytest_plugin"]


@pytest.fixture
def harness_options(harness_options):
    """What a team passes as --client-id and --client-scopes (the rest per test below)."""
    return dataclasses.replace(harness_options, client_id="udi",
                               client_scopes=["openid", "profile", "phone", "identity", "enterprise"])


@pytest.fixture
async def portal_database_url(databases) -> str:
    return await databases.fresh()  # SQLite or TEST_DATABASE_URL's PostgreSQL, as every test here


@pytest.fixture
def system_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
async def udi(databases, portal_process, registered_client, system_url, tmp_path):
    """The team's system, started knowing the portal's issuer and the secret it was given."""
    port = int(system_url.rsplit(":", 1)[1])
    async with live_system("udi", UDI, port, tmp_path, issuer=portal_process.issuer,
                           database_url=await databases.empty(),
                           client_secret=registered_client.client_secret) as system:
        yield system


async def logged_out_of_system(portal_client: PortalClient, system_url: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if 'id="not-logged-in"' in (await portal_client.browse(system_url + "/")).text:
            return True
        await asyncio.sleep(0.2)
    return False


async def test_bind_existing_sso_logout_both_ways_and_unbind(portal_client, seeded_accounts, udi, system_url):
    zhangsan = seeded_accounts.personal
    await portal_client.login(zhangsan.username, zhangsan.password, window=zhangsan.window)
    assert (await portal_client.bindings())["udi"] == "bind"

    to_system = await portal_client.start_binding("udi", "existing")
    assert to_system.startswith(f"{system_url}/binding/start?binding=")
    # The system first asks the portal who the browser is (a silent authorization), then its form.
    page = await portal_client.browse(to_system)
    assert page.url.path == "/binding/start" and 'name="captcha"' in page.text
    wrong = await portal_client.submit(page, "/binding/start", username="udi_demo", password="Wrong@2026pass",
                                       captcha=CAPTCHA)
    assert wrong.status_code == 400 and "用户绑定授权异常: 密码错误" in wrong.text
    back = await portal_client.submit(wrong, "/binding/start", username="udi_demo", password=DEMO_LOCAL_PASSWORD,
                                      captcha=CAPTCHA)
    assert back.is_redirect and back.headers["location"].startswith(portal_client.base_url + "/space/bindings")
    await portal_client.wait_for_binding("udi", "unbind")

    # 我的绑定 → the system's name: into the linked local account, no second login.
    initiate = await portal_client.sso("udi")
    assert initiate.startswith(f"{system_url}/auth/login?iss=")
    home = await portal_client.browse(initiate)
    assert 'id="local-username">udi_demo<' in home.text and f'id="portal-sub">{zhangsan.subject}<' in home.text

    # The system's logout button: RP-initiated logout at the portal, back to the system's home.
    after = await portal_client.browse(f"{system_url}/logout", method="POST", data=hidden_fields(home.text))
    assert after.url == f"{system_url}/" and 'id="not-logged-in"' in after.text
    with pytest.raises(HarnessError):
        await portal_client.bindings()  # the portal session is over too

    # Login started at the system: the portal asks for a login, then the code goes back.
    to_portal = await portal_client.go(f"{system_url}/auth/login")
    callback = await portal_client.authorize(to_portal.headers["location"], username=zhangsan.username,
                                             password=zhangsan.password)
    assert callback.startswith(f"{system_url}/auth/callback?") and "code=" in callback
    assert 'id="local-username">udi_demo<' in (await portal_client.browse(callback)).text

    # Logout at the portal (confirmed on its page) reaches the system over the back channel.
    logged_out = await portal_client.logout()
    assert logged_out.status_code == 200 and 'action="/logout/confirm"' not in logged_out.text
    assert await logged_out_of_system(portal_client, system_url), udi.log_tail()

    await portal_client.login(zhangsan.username, zhangsan.password)
    notice = await portal_client.unbind("udi")
    assert notice and "解除" in notice
    assert (await portal_client.bindings())["udi"] == "bind"
    refused = await portal_client.go("/sso/udi")
    assert refused.status_code == 403
    with pytest.raises(HarnessError):
        await portal_client.sso("udi")


async def test_legal_person_creates_an_account_that_cannot_be_unbound(portal_client, seeded_accounts, udi,
                                                                        system_url):
    company = seeded_accounts.legal_person
    await portal_client.login(company.username, company.password, window=company.window)
    to_system = await portal_client.start_binding("udi", "create")
    created = await portal_client.browse(to_system)  # the system creates the account and sends us back
    assert str(created.url).startswith(portal_client.base_url + "/space/bindings")
    await portal_client.wait_for_binding("udi", "fixed")
    with pytest.raises(HarnessError, match="解除绑定"):
        await portal_client.unbind("udi")  # 不可解除: no button on 我的绑定

    # SSO reaches the system, which first asks a new account for its organisation details and
    # review (机构信息完善, mock_systems/udi/registration.py), prefilled from the portal's claims.
    page = await portal_client.browse(await portal_client.sso("udi"))
    assert str(page.url) == system_url + "/organisation" and "<h1>机构信息完善</h1>" in page.text
    assert 'name="credit_code" value="91110105PDY0001752"' in page.text and "示例医疗器械有限公司" in page.text
