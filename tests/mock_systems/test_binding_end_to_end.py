"""授权绑定 end to end: the real portal (``put``) and a business system in-process, each speaking
HTTP to the other (tests/support/systems.py). Bind an existing account, log in through the
portal into it, unbind from 我的绑定; create a new account, and the created link refused to
unbind on both sides."""
from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from idp.bindings import calls
from idp.bindings.models import Binding
from idp.bindings.staff import force_unbind_account
from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.common.models import LinkKind, PortalLink
from mock_systems.drug import PROFILE as DRUG
from shared.binding import PORTAL_BINDINGS_PAGE, SYSTEM_START
from shared.messages import text
from tests.support.binding_flows import binding_of, on_bindings_page, shown, start, unbind
from tests.support.portal import ISSUER, hidden_fields
from tests.support.systems import CAPTCHA, running_system, sso

BASE_URL = f"https://{DRUG.client_id}.systems.example.test"


@pytest.fixture
async def drug(put, system_database_url):
    metadata = {"binding_start_uri": BASE_URL + SYSTEM_START, "binding_api_uri": BASE_URL}
    async with running_system(put, DRUG, system_database_url, client_metadata=metadata) as system:
        yield system


async def portal_state(put, binding_id: str) -> tuple[str, str | None]:
    async with put.portal.reader() as db:
        row = await db.get(Binding, binding_id)
        return row.state, row.kind


async def system_links(drug) -> list[PortalLink]:
    async with drug.system.sessionmaker() as db:
        return list((await db.scalars(select(PortalLink))).all())


async def open_on_system(system_browser, portal, to_system) -> httpx.Response:
    """The portal's redirect followed in the system's browser: the system's silent login checks
    that the portal session's user is the binding's subject, then its page."""
    checked = await sso(system_browser, portal, to_system.headers["location"].removeprefix(BASE_URL), username=None)
    assert checked.status_code == 303, checked.text[:300]
    return await system_browser.get(checked.headers["location"])


def back_on_bindings_page(response) -> None:
    assert response.status_code == 303, response.text[:300]
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == ISSUER + PORTAL_BINDINGS_PAGE


async def test_bind_an_existing_account_log_in_through_the_portal_then_unbind(put, drug):
    portal = await on_bindings_page(put, put.account)
    to_system = await start(portal, "drug", "existing")
    binding_id = binding_of(to_system)
    async with drug.browser() as system_browser:
        page = await open_on_system(system_browser, portal, to_system)
        assert page.status_code == 200 and "已有用户的登录授权" in page.text
        wrong = await system_browser.post(SYSTEM_START, data={
            **hidden_fields(page.text), "username": "drug_demo", "password": "Wrong@2026pass", "captcha": CAPTCHA})
        assert wrong.status_code == 400 and "用户绑定授权异常: 密码错误" in wrong.text
        done = await system_browser.post(SYSTEM_START, data={
            **hidden_fields(wrong.text), "username": "drug_demo", "password": DEMO_LOCAL_PASSWORD,
            "captcha": CAPTCHA})
        back_on_bindings_page(done)
        assert await portal_state(put, binding_id) == ("active", "existing")

        callback = await sso(system_browser, portal, username=None)  # the portal session exists
        assert callback.status_code == 303
        home = await system_browser.get("/")
        assert 'id="local-username">drug_demo<' in home.text and "政务服务门户单点登录" in home.text

        assert (await unbind(portal, "drug")).status_code == 303
        assert await portal_state(put, binding_id) == ("ended", "existing")
        assert await system_links(drug) == []
        async with drug.browser() as again:
            refused = await sso(again, portal, username=None)
        assert refused.status_code == 403 and text("system.not_linked") in refused.text


async def test_create_a_new_account_and_it_cannot_be_unbound_on_either_side(put, drug):
    portal = await on_bindings_page(put, put.account)
    to_system = await start(portal, "drug", "create")
    binding_id = binding_of(to_system)
    async with drug.browser() as system_browser:
        back_on_bindings_page(await open_on_system(system_browser, portal, to_system))
    assert await portal_state(put, binding_id) == ("active", "created")
    (link,) = await system_links(drug)
    assert link.kind is LinkKind.created_by_binding and link.portal_subject == put.account.subject

    refused = await unbind(portal, "drug")
    assert refused.status_code == 409 and "无法主动解绑" in refused.text  # the portal refuses…
    client = await put.portal.client(DRUG.client_id)
    asked = await calls.ask_unlink(put.portal, client, binding_id, put.account.subject, force=False, reason=None)
    assert asked.removed is False  # …and so does the system, to a request signed by the portal
    assert await portal_state(put, binding_id) == ("active", "created")
    assert len(await system_links(drug)) == 1

    state = await force_unbind_account(put.portal, put.account.username, DRUG.client_id,
                                       reason="咨询：企业申请解除绑定", staff="staff-01")
    assert state == "ended" and await system_links(drug) == []  # staff force-unbind: both sides


async def test_unbinding_in_the_systems_account_settings_ends_the_binding_on_the_portal(put, drug):
    portal = await on_bindings_page(put, put.account)
    to_system = await start(portal, "drug", "existing")
    binding_id = binding_of(to_system)
    async with drug.browser() as system_browser:
        page = await open_on_system(system_browser, portal, to_system)
        back_on_bindings_page(await system_browser.post(SYSTEM_START, data={
            **hidden_fields(page.text), "username": "drug_demo", "password": DEMO_LOCAL_PASSWORD,
            "captcha": CAPTCHA}))
        login = await system_browser.get("/local/login")
        assert (await system_browser.post("/local/login", data={
            **hidden_fields(login.text), "username": "drug_demo", "password": DEMO_LOCAL_PASSWORD,
            "captcha": CAPTCHA})).status_code == 303
        settings = await system_browser.get("/account/settings")
        unbound = await system_browser.post("/account/unbind", data={
            "csrf_token": hidden_fields(settings.text)["csrf_token"]})
        assert unbound.status_code == 303
    assert await portal_state(put, binding_id) == ("ended", "existing")
    assert await system_links(drug) == []
    assert shown((await portal.go("/space/bindings")).text, "drug") == "bind"  # 授权绑定 again
