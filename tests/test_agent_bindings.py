"""授权绑定 for an agent, made by the legal person on the agent's page (docs/behaviours.md, Agents): the
intent the system reads (the agency's subject, the legal person as the browser's user, the
agent's claims), UDI's existing-only rule, and the exclusion (classification ⟂ combination
per portal account: a legal person bound to one has its agent bind the other)."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from idp.sessions.models import UserSession
from shared.messages import text
from tests.support.agents import add_enterprise, authorize_agent
from tests.support.binding_flows import binding_of, bound, confirm, host, system_api
from tests.support.portal import hidden_fields
from tests.support.space import ALERT, signed_in

CLASSIFICATION = "医疗器械分类界定信息系统"
COMBINATION = "药械组合产品属性界定信息系统"


@pytest.fixture
async def setup(put):
    put.enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    put.agency = await authorize_agent(put, put.enterprise, put.account)
    put.classification = await put.add_client("classification", display_name=CLASSIFICATION)
    put.combination = await put.add_client("combination", display_name=COMBINATION)
    put.udi = await put.add_client("udi", display_name="医疗器械唯一标识管理信息系统", agent_binding_modes=["existing"])
    put.legal = await signed_in(put, put.enterprise)
    yield put
    await put.legal.aclose()


async def start_for_agent(put, client_id: str, mode: str):
    page = await put.legal.go(f"/space/agents/{put.agency.id}/bindings/{client_id}")
    assert page.status_code == 200, page.text[:300]
    return page, await put.legal.client.post(f"/space/agents/{put.agency.id}/bindings/{client_id}",
                                             data={"csrf_token": hidden_fields(page.text)["csrf_token"], "mode": mode})


async def test_the_intent_names_the_agency_and_the_legal_person_as_the_browser_user(setup):
    put = setup
    page, started = await start_for_agent(put, "combination", "create")
    assert 'id="for-agent"' in page.text and "张三" in page.text
    binding_id = binding_of(started)
    async with system_api(put, put.combination) as api:
        intent = (await api.get(f"/api/bindings/{binding_id}")).json()
    assert intent["sub"] == put.agency.subject and intent["actor_sub"] == put.enterprise.subject
    assert intent["claims"]["account_type"] == "agent"
    assert intent["claims"]["enterprise"]["name"] == "示例医疗器械有限公司"
    assert intent["claims"]["acting_person"] == {"sub": put.account.subject, "name": "张三"}


async def test_a_confirmed_binding_returns_the_legal_person_to_the_agents_page(setup):
    put = setup
    binding_id = binding_of((await start_for_agent(put, "combination", "create"))[1])
    put.systems.link(host("combination"), binding_id, put.agency.subject, "created")
    assert (await confirm(put, put.combination, binding_id, "created")).json() == {"state": "active"}
    # The system sends the browser back to 我的绑定 with its result; the portal knows it was for the agent.
    back = await put.legal.client.get("/space/bindings?result=linked&client_id=combination")
    assert back.status_code == 303 and back.headers["location"].startswith(f"/space/agents/{put.agency.id}?")
    page = await put.legal.go(back.headers["location"])
    assert text("binding.result_linked", system=COMBINATION) in page.text
    assert 'id="authorized-combination" data-state="fixed"' in page.text


async def test_udi_offers_agents_the_existing_account_binding_only(setup):
    put = setup
    page, refused = await start_for_agent(put, "udi", "create")
    assert 'id="mode-create"' not in page.text and 'id="mode-existing"' in page.text
    assert refused.status_code == 409
    assert ALERT.search(refused.text).group(1) == text("binding.agent_mode_refused",
                                                       system="医疗器械唯一标识管理信息系统")
    _, started = await start_for_agent(put, "udi", "existing")
    assert started.status_code == 303


@pytest.mark.parametrize("legal_has, agent_binds", [("classification", "combination"),
                                                    ("combination", "classification")])
async def test_seed_000_item_7_the_legal_person_holds_one_of_the_pair_and_its_agent_the_other(setup, legal_has,
                                                                                             agent_binds):
    put = setup
    await bound(put, put.legal, getattr(put, legal_has), "create")
    # The legal person cannot take the other one itself (the guide's wording) …
    page = await put.legal.go(f"/space/bindings/{agent_binds}")
    own = await put.legal.client.post(f"/space/bindings/{agent_binds}",
                                      data={"csrf_token": hidden_fields(page.text)["csrf_token"], "mode": "create"})
    assert own.status_code == 409 and "不能同时绑定" in ALERT.search(own.text).group(1)
    # … but its agent can, and the agent's slot does not collide with the legal person's.
    _, started = await start_for_agent(put, agent_binds, "create")
    binding_id = binding_of(started)
    put.systems.link(host(agent_binds), binding_id, put.agency.subject, "created")
    assert (await confirm(put, getattr(put, agent_binds), binding_id, "created")).json() == {"state": "active"}
    # And the agent holds one of the pair only.
    _, second = await start_for_agent(put, legal_has, "create")
    assert second.status_code == 409


async def test_an_agent_cannot_open_the_legal_persons_agent_pages(setup):
    put = setup
    agent = await signed_in(put, put.account)
    async with put.portal.sessionmaker.begin() as db:  # the session acting for the enterprise
        await db.execute(update(UserSession).where(UserSession.account_id == put.account.id)
                         .values(agency_id=put.agency.id))
    refused = await agent.go(f"/space/agents/{put.agency.id}")
    assert refused.status_code == 403 and text("agents.legal_only") in refused.text
    await agent.aclose()
