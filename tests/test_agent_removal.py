"""Removing an agent (移除经办人) and revoking one system (撤销授权): what the agent held in the
enterprise's name ends — its sessions everywhere (back-channel logout to the systems it used),
its tokens, its bindings at the systems — and its next single sign-on fails. A business system
runs in-process beside the portal and is driven over HTTP, as deployed."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from idp.agents import transitions
from idp.bindings.models import Binding, BindingCall
from idp.errors import DomainError
from idp.oidc.logout import single_logout
from mock_systems.classification import PROFILE as CLASSIFICATION
from shared.messages import text
from tests.support.agents import add_enterprise, agent_code_flow, agent_login, authorize_agent, sessions_of
from tests.support.bindings import bound_on_portal
from tests.support.portal import hidden_fields
from tests.support.space import ALERT, signed_in
from tests.support.systems import running_system, sso
from tests.support.tokens import refresh, userinfo


@pytest.fixture
async def classification(put, databases):
    async with running_system(put, CLASSIFICATION, await databases.empty()) as system:
        yield system


@pytest.fixture
async def acting(put, browser, classification):
    """张三, agent of 示例医疗器械有限公司, logged in through 法人登录 and into the system by SSO
    with the sub-account the enterprise bound for it."""
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    await bound_on_portal(put, put.account, "classification", "existing", local_account="classification_demo",
                          agency=agency)
    await classification.link(agency.subject, "classification_demo")
    await agent_login(browser, await browser.go("/login?window=legal"), "zhangsan")
    system_browser = classification.browser()
    assert (await sso(system_browser, browser, username=None)).status_code == 303
    assert 'id="local-username">classification_demo<' in (await system_browser.get("/")).text
    yield enterprise, agency, system_browser
    await system_browser.aclose()


async def remove_on_page(put, enterprise, agency):
    legal = await signed_in(put, enterprise)
    page = await legal.go(f"/space/agents/{agency.id}")
    done = await legal.client.post(f"/space/agents/{agency.id}/remove",
                                   data={"csrf_token": hidden_fields(page.text)["csrf_token"]})
    await legal.aclose()
    return done


async def test_removing_an_agent_ends_its_sessions_there_and_its_next_sso_fails(put, browser, classification,
                                                                              acting):
    enterprise, agency, system_browser = acting
    done = await remove_on_page(put, enterprise, agency)
    assert done.status_code == 303 and done.headers["location"] == "/space/agents?done=removed"
    await single_logout.wait_for_background_deliveries()
    # The system's session ended by the back-channel logout (sub = the agency's subject).
    assert await classification.logged_in_sessions() == []
    assert 'id="not-logged-in"' in (await system_browser.get("/")).text
    [session] = await sessions_of(put, put.account.id)
    assert session.ended_at is not None
    # The next SSO asks for a login, and 法人登录 no longer admits the person as an agent.
    to_portal = await system_browser.get("/auth/login")
    login = await browser.go(to_portal.headers["location"])
    assert 'action="/login"' in login.text
    refused = await agent_login(browser, login, "zhangsan")
    assert ALERT.search(refused.text).group(1) == text("login.not_agent")


async def test_removal_revokes_the_agents_tokens_and_ends_its_bindings_at_the_systems(put, browser, classification):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    binding_id = await bound_on_portal(put, put.account, "classification", "created",
                                       local_account="classification_demo", agency=agency)
    tokens = await agent_code_flow(put, browser, put.rp, "zhangsan", scope="openid profile offline_access")
    await transitions.remove_agent(put.portal, enterprise, agency.id, source_ip=None)
    assert (await userinfo(put, tokens["access_token"])).status_code == 401
    assert (await refresh(put, put.rp, tokens["refresh_token"])).status_code == 400
    async with put.portal.reader() as db:
        row = await db.get(Binding, binding_id)
        [call] = (await db.scalars(select(BindingCall).where(BindingCall.binding_id == binding_id))).all()
    # Even a 不可解除 link is undone: the enterprise withdrew the person, not the person itself.
    assert (call.action, call.force, call.reason) == ("unlink", True, transitions.REMOVED_REASON)
    # The system answered at once (the link is gone there): ended, with the reason kept.
    assert (row.state, row.slot, row.ended_reason) == ("ended", None, transitions.REMOVED_REASON)


async def test_two_removals_at_once_remove_once(put):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    results = await asyncio.gather(*(transitions.remove_agent(put.portal, enterprise, agency.id, source_ip=None)
                                     for _ in range(5)), return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert all(isinstance(r, DomainError) and r.message_id == "agents.not_found"
               for r in results if isinstance(r, Exception)), results


async def test_a_removed_agent_can_be_added_again_with_a_new_subject(put):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    first = await authorize_agent(put, enterprise, put.account)
    await transitions.remove_agent(put.portal, enterprise, first.id, source_ip=None)
    second = await authorize_agent(put, enterprise, put.account)
    assert second.id != first.id and second.subject != first.subject


async def test_another_enterprise_cannot_remove_or_revoke_someone_elses_agent(put):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    other = await add_enterprise(put, "beta", "乙公司", 2)
    agency = await authorize_agent(put, enterprise, put.account)
    with pytest.raises(DomainError) as refused:
        await transitions.remove_agent(put.portal, other, agency.id, source_ip=None)
    assert refused.value.message_id == "agents.not_found"
    assert (await sessions_of(put, put.account.id)) == []


async def test_revoking_one_system_ends_that_binding_only(put, browser, classification):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    await put.add_client("drug", display_name="药品业务应用系统")
    revoked = await bound_on_portal(put, put.account, "classification", "created", agency=agency)
    kept = await bound_on_portal(put, put.account, "drug", "created", agency=agency)
    legal = await signed_in(put, enterprise)
    page = await legal.go(f"/space/agents/{agency.id}")
    done = await legal.client.post(f"/space/agents/{agency.id}/bindings/classification/revoke",
                                   data={"csrf_token": hidden_fields(page.text)["csrf_token"]})
    assert done.status_code == 303
    page = await legal.go(done.headers["location"])
    assert text("binding.agent_revoked", system=CLASSIFICATION.display_name) in page.text
    async with put.portal.reader() as db:
        assert (await db.get(Binding, revoked)).state in ("unbinding", "ended")
        assert (await db.get(Binding, kept)).state == "active"
    await legal.aclose()


async def test_parallel_revocations_of_one_system_revoke_once(put, classification):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    binding_id = await bound_on_portal(put, put.account, "classification", "created", agency=agency)
    client = await put.portal.client("classification")
    results = await asyncio.gather(*(transitions.revoke_agent_binding(put.portal, enterprise, agency.id, client,
                                                                      source_ip=None) for _ in range(5)),
                                   return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    async with put.portal.reader() as db:
        calls = (await db.scalars(select(BindingCall).where(BindingCall.binding_id == binding_id))).all()
    assert len(calls) == 1
