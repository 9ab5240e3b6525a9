"""The business system's own 账号设置 (docs/binding-protocol.md, Unbind, mirror image): 解除绑定
for a link to an existing account removes it and tells the portal (``ended``); a link created by
binding shows 不可解除 and the endpoint refuses it."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from mock_systems.common.models import LinkKind, PortalLink
from mock_systems.drug import PROFILE as DRUG
from shared.messages import text
from tests.support.fake_portal import FakePortal, bind_existing, browser_for, system_with_fake_portal
from tests.support.portal import hidden_fields
from tests.support.systems import CAPTCHA

PASSWORD = "Local@2026pass"


@pytest.fixture
async def drug(databases):
    fake = FakePortal(DRUG.client_id)
    async with system_with_fake_portal(DRUG, fake, await databases.empty()) as app:
        app.state.fake = fake
        async with browser_for(app, app.state.system.settings.base_url) as browser:
            app.state.browser = browser
            yield app


async def bound_and_logged_in(app) -> str:
    """drug_demo bound to a portal account through a binding, then logged in locally."""
    binding_id = app.state.fake.intent("existing", sub="settings-subject")
    assert (await bind_existing(app, binding_id, "drug_demo")).status_code == 303
    browser = app.state.browser
    page = await browser.get("/local/login")
    login = await browser.post("/local/login", data={**hidden_fields(page.text), "username": "drug_demo",
                                                     "password": PASSWORD, "captcha": CAPTCHA})
    assert login.status_code == 303
    return binding_id


async def links(app) -> list[PortalLink]:
    async with app.state.system.sessionmaker() as db:
        return list((await db.scalars(select(PortalLink))).all())


async def test_unbinding_an_existing_account_removes_the_link_and_tells_the_portal(drug):
    fake, browser = drug.state.fake, drug.state.browser
    binding_id = await bound_and_logged_in(drug)
    settings = await browser.get("/account/settings")
    assert settings.status_code == 200 and 'id="unbind"' in settings.text and "不可解除" not in settings.text
    response = await browser.post("/account/unbind", data={"csrf_token": hidden_fields(settings.text)["csrf_token"]})
    assert response.status_code == 303 and await links(drug) == []
    (ended,) = fake.calls_to("ended", binding_id)
    assert ended.json == {"reason": "unbound_in_system"} and ended.basic == ("drug", fake.client_secret)
    assert "未绑定" in (await browser.get("/account/settings")).text


async def test_a_link_created_by_binding_is_not_unbindable_here(drug):
    browser = drug.state.browser
    binding_id = await bound_and_logged_in(drug)
    async with drug.state.system.sessionmaker.begin() as db:  # as if 直接授权创建新的账号 had made it
        await db.execute(update(PortalLink).values(kind=LinkKind.created_by_binding))
    settings = await browser.get("/account/settings")
    assert 'id="not-unbindable">不可解除<' in settings.text and 'id="unbind"' not in settings.text
    csrf_token = hidden_fields((await browser.get("/")).text)["csrf_token"]  # the logout form's
    response = await browser.post("/account/unbind", data={"csrf_token": csrf_token})
    assert response.status_code == 403 and text("system.settings.not_unbindable") in response.text
    assert len(await links(drug)) == 1 and drug.state.fake.calls_to("ended", binding_id) == []


async def test_unbinding_needs_the_session_and_its_csrf_token(drug):
    await bound_and_logged_in(drug)
    forged = await drug.state.browser.post("/account/unbind", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and len(await links(drug)) == 1
    async with browser_for(drug, drug.state.system.settings.base_url) as stranger:
        assert (await stranger.post("/account/unbind", data={})).status_code == 303  # to the home page
        assert (await stranger.get("/account/settings")).headers["location"] == "/"
    assert len(await links(drug)) == 1
