"""A system that cannot be reached (issue 19, "The other catalogue systems"): 授权绑定 and the
single sign-on get the portal's own page saying so, nothing is left pending, and the user may
try again at once; an agent whose system was revoked is sent to the legal person; a binding
abandoned half-way shows 授权绑定 with the reason in a tooltip."""
from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from idp.bindings.models import Binding
from tests.support.agents import add_enterprise, agent_login, authorize_agent
from tests.support.binding_flows import PAGE, binding_of, bound, host, on_bindings_page, shown, start
from tests.support.portal import Browser, hidden_fields

APPOINTMENTS = "网上预约系统"
UNAVAILABLE = "网上预约系统暂时无法访问，请稍后再试。"


async def bindings_of(put, account_id: int) -> list[Binding]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(Binding).where(Binding.account_id == account_id))).all())


async def test_a_system_that_is_down_gets_the_unavailable_page_and_no_pending_binding(put):
    await put.add_client("appointments", display_name=APPOINTMENTS)
    put.systems.down.add(host("appointments"))
    browser = await on_bindings_page(put, put.account)
    refused = await start(browser, "appointments", "existing")
    assert refused.status_code == 200 and "location" not in refused.headers
    assert UNAVAILABLE in refused.text and 'href="/space/bindings"' in refused.text
    assert await bindings_of(put, put.account.id) == []
    assert shown((await browser.go(PAGE)).text, "appointments") == "bind"
    put.systems.down.clear()  # back up: the very next try goes on to the system
    onwards = await start(browser, "appointments", "existing")
    assert redirect_host(onwards) == host("appointments") and binding_of(onwards)
    await browser.aclose()


def redirect_host(response) -> str:
    assert response.status_code == 303, response.text[:300]
    return urlsplit(response.headers["location"]).hostname or ""


async def test_single_sign_on_to_a_system_that_is_down_gets_the_unavailable_page(put):
    client = await put.add_client("appointments", display_name=APPOINTMENTS,
                                  initiate_login_uri=f"https://{host('appointments')}/auth/login")
    browser = await on_bindings_page(put, put.account)
    await bound(put, browser, client, "existing")
    put.systems.down.add(host("appointments"))
    refused = await browser.client.get("/sso/appointments")
    assert refused.status_code == 200 and "location" not in refused.headers and UNAVAILABLE in refused.text
    put.systems.down.clear()
    assert (await browser.client.get("/sso/appointments")).status_code == 303
    await browser.aclose()


async def test_the_legal_person_binding_for_an_agent_gets_the_same_page(put):
    await put.add_client("appointments", display_name=APPOINTMENTS)
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    put.systems.down.add(host("appointments"))
    legal = await on_bindings_page(put, enterprise)
    path = f"/space/agents/{agency.id}/bindings/appointments"
    page = await legal.go(path)
    refused = await legal.client.post(path, data={"csrf_token": hidden_fields(page.text)["csrf_token"],
                                                  "mode": "existing"})
    assert refused.status_code == 200 and UNAVAILABLE in refused.text
    assert await bindings_of(put, put.account.id) == []
    await legal.aclose()


async def test_an_agent_without_the_system_is_told_to_ask_the_legal_person(put):
    await put.add_client("appointments", display_name=APPOINTMENTS,
                         initiate_login_uri=f"https://{host('appointments')}/auth/login")
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    await authorize_agent(put, enterprise, put.account)
    browser = Browser(put)
    await agent_login(browser, await browser.go("/login?window=legal"), "zhangsan")
    refused = await browser.client.get("/sso/appointments")
    assert refused.status_code == 403
    assert "您尚未获得网上预约系统的授权，或授权已被撤销，请联系法人账号在“经办人授权”中为您授权。" in refused.text
    assert 'href="/space/bindings"' not in refused.text  # agents cannot bind there
    await browser.aclose()


async def test_a_binding_abandoned_half_way_shows_授权绑定_with_the_reason(put):
    await put.add_client("appointments", display_name=APPOINTMENTS)
    browser = await on_bindings_page(put, put.account)
    binding_of(await start(browser, "appointments", "existing"))  # the user never comes back
    page = (await browser.go(PAGE)).text
    assert shown(page, "appointments") == "pending"
    row = page.split('id="system-appointments"')[1].split("</tr>")[0]
    assert 'title="上一次授权绑定未完成（未在网上预约系统中确认），可重新授权绑定">授权绑定</a>' in row
    assert "确认中" not in row
    await browser.aclose()
