"""/binding/start checks that the browser's portal user IS the binding's subject (a silent
login with prompt=none, docs/binding-protocol.md, Bind) before it shows the login form or
creates an account: an attacker's own binding link sent to a victim binds nothing, and the
binding stays pending for its real subject (no Refusal is sent)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.common.models import PortalLink
from mock_systems.drug import PROFILE as DRUG
from shared.messages import text
from tests.support.fake_portal import (
    CAPTCHA,
    FakePortal,
    bind_existing,
    browser_for,
    open_binding,
    system_with_fake_portal,
)
from tests.support.portal import hidden_fields


@pytest.fixture
async def drug(databases):
    async with system_with_fake_portal(DRUG, FakePortal(DRUG.client_id), await databases.empty()) as app:
        async with browser_for(app, app.state.system.settings.base_url) as browser:
            app.state.browser = browser
            yield app


async def links(app) -> list[PortalLink]:
    async with app.state.system.sessionmaker() as db:
        return list((await db.scalars(select(PortalLink))).all())


async def test_the_start_asks_the_portal_silently_who_the_browser_is(drug):
    fake = drug.state.fake
    binding_id = fake.intent("create", sub="owner")
    to_portal = await drug.state.browser.get(f"/binding/start?binding={binding_id}")
    assert to_portal.status_code == 303
    params = {k: v[0] for k, v in parse_qs(urlsplit(to_portal.headers["location"]).query).items()}
    assert (params["prompt"], params["code_challenge_method"], params["scope"]) == ("none", "S256", "openid")
    assert params["redirect_uri"] == drug.state.system.settings.endpoint("/auth/callback")
    assert await links(drug) == []  # nothing is created before the answer


@pytest.mark.parametrize("mode", ["create", "existing"])
async def test_another_portal_user_opening_the_link_is_refused_and_nothing_is_sent(drug, mode):
    fake = drug.state.fake
    binding_id = fake.intent(mode, sub="attacker")
    response = await open_binding(drug, binding_id, sub="victim")
    assert response.status_code == 403 and text("system.binding.not_subject") in response.text
    assert 'action="/binding/start"' not in response.text
    assert await links(drug) == [] and fake.calls_to("refused") == [] and fake.calls_to("confirm") == []
    async with browser_for(drug, drug.state.system.settings.base_url) as owner:  # the subject still can
        done = await open_binding(drug, binding_id, owner)
        if mode == "existing":
            done = await owner.post("/binding/start", data={**hidden_fields(done.text), "username": "drug_demo",
                                                            "password": DEMO_LOCAL_PASSWORD, "captcha": CAPTCHA})
    assert done.status_code == 303 and [link.portal_subject for link in await links(drug)] == ["attacker"]


async def test_no_portal_session_is_refused_and_nothing_is_sent(drug):
    fake = drug.state.fake
    binding_id = fake.intent("create", sub="owner")
    response = await open_binding(drug, binding_id, error="login_required")
    assert response.status_code == 403 and text("system.binding.portal_login_required") in response.text
    assert await links(drug) == [] and fake.calls_to("refused") == []


async def test_the_form_posted_from_a_browser_that_did_not_pass_the_check_links_nothing(drug):
    """The victim's browser passed the check; the form's hidden fields replayed from another
    browser session (one that never did) are refused."""
    fake = drug.state.fake
    binding_id = fake.intent("existing", sub="owner")
    page = await open_binding(drug, binding_id)
    assert page.status_code == 200
    async with browser_for(drug, drug.state.system.settings.base_url) as other:
        await other.get("/local/login")  # an anonymous session of its own, with its own CSRF token
        to_portal = await other.get(f"/binding/start?binding={binding_id}")
        assert to_portal.status_code == 303  # not checked: no form
        csrf = hidden_fields((await other.get("/local/login")).text)["csrf_token"]
        posted = await other.post("/binding/start", data={
            **hidden_fields(page.text), "csrf_token": csrf, "username": "drug_demo",
            "password": DEMO_LOCAL_PASSWORD, "captcha": CAPTCHA})
    assert posted.status_code == 403 and text("system.binding.not_subject") in posted.text
    assert await links(drug) == []
    assert (await bind_existing(drug, binding_id, "drug_demo")).status_code == 303  # the checked browser can


async def test_a_legal_person_binding_for_its_agent_passes_as_the_actor_and_the_agent_is_linked(drug):
    """docs/claims.md, Agents: the legal person binds a system for its agent in its own browser;
    the intent names it (actor_sub), the link is the agent's subject. The agent's own browser,
    or anyone else's, does not pass the check for it."""
    fake = drug.state.fake
    binding_id = fake.intent("create", sub="agency-subject", actor_sub="legal-person",
                             claims={"name": "李四", "account_type": "agent"})
    for stranger in ("agency-subject", "someone-else"):
        async with browser_for(drug, drug.state.system.settings.base_url) as other:
            refused = await open_binding(drug, binding_id, other, sub=stranger)
        assert refused.status_code == 403 and text("system.binding.not_subject") in refused.text
    done = await open_binding(drug, binding_id, sub="legal-person")
    assert done.status_code == 303
    assert [link.portal_subject for link in await links(drug)] == ["agency-subject"]
