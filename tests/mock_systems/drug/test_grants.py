"""子用户授权: the legal person's 经办人列表 (its enterprise's agents only),
信息采集类事项绑定 and 保存, which replaces the agent's grants at once; nobody else may use it."""
from __future__ import annotations

import asyncio

from sqlalchemy import delete, select

from mock_systems.common.models import PortalLink
from mock_systems.drug.grants import granted_modules, save_grants
from mock_systems.drug.models import AgentGrant
from mock_systems.drug.modules import EXPORT_DOSSIER
from shared.messages import text
from shared.refusals import Refusal
from tests.mock_systems.drug.conftest import (
    AGENT,
    ENTERPRISE,
    LEGAL,
    OTHER_AGENT,
    OTHER_LEGAL,
    agent,
    legal_person,
    post_form,
)

GRANTS = "/collection/sub-users"
CODE = ENTERPRISE["unified_social_credit_code"]


async def grants_of(drug, person) -> list[str]:
    account = await drug.account(person.username)
    async with drug.system.sessionmaker() as db:
        return await granted_modules(db, account.id, account.enterprise_code)


async def test_the_list_holds_the_enterprises_agents_only(drug):
    for person in (AGENT, agent("赵六", sub="agent-2", username="drug_agent2"), OTHER_AGENT, OTHER_LEGAL):
        await drug.log_in(person)
    legal = await drug.log_in(LEGAL)
    page = await legal.get(GRANTS)
    assert page.status_code == 200 and "经办人列表" in page.text
    assert "王五" in page.text and "赵六" in page.text
    assert "孙八" not in page.text and "钱七" not in page.text  # another enterprise's people
    assert "信息采集类事项绑定" not in page.text  # nobody chosen yet


async def test_an_agent_whose_link_ended_leaves_the_list(drug):
    await drug.log_in(AGENT)
    legal = await drug.log_in(LEGAL)
    assert "王五" in (await legal.get(GRANTS)).text
    account = await drug.account(AGENT.username)
    async with drug.system.sessionmaker.begin() as db:  # as when the portal unlinks a removed agent
        await db.execute(delete(PortalLink).where(PortalLink.local_account_id == account.id))
    page = await legal.get(GRANTS)
    assert "王五" not in page.text and 'id="no-agents"' in page.text


async def test_save_grants_the_ticked_modules_and_replaces_them_next_time(drug):
    await drug.log_in(AGENT)
    legal = await drug.log_in(LEGAL)
    agent_account = await drug.account(AGENT.username)
    chosen = f"{GRANTS}?agent={agent_account.id}"
    page = await legal.get(chosen)
    assert "信息采集类事项绑定" in page.text and "出口药品档案信息采集" in page.text and ">保存<" in page.text

    saved = await post_form(legal, chosen, "grant-form", modules=EXPORT_DOSSIER)
    assert saved.status_code == 303 and saved.headers["location"] == f"{chosen}&saved=1"
    assert await grants_of(drug, AGENT) == [EXPORT_DOSSIER]
    page = await legal.get(saved.headers["location"])
    assert text("drug.grants.saved") in page.text and 'checked' in page.text
    async with drug.system.sessionmaker() as db:
        grant = await db.get(AgentGrant, agent_account.id)
    assert grant.granted_by_name == "李四" and grant.enterprise_code == CODE

    # Nothing ticked: every grant revoked.
    assert (await post_form(legal, chosen, "grant-form")).status_code == 303
    assert await grants_of(drug, AGENT) == []


async def test_an_agent_or_a_personal_account_may_not_open_it(drug):
    agent_browser = await drug.log_in(AGENT)
    for response in (await agent_browser.get(GRANTS),
                     await agent_browser.post(GRANTS, data={"agent_id": "1", "modules": EXPORT_DOSSIER})):
        assert response.status_code == 403 and text("drug.grants.legal_only") in response.text
    assert await grants_of(drug, AGENT) == []
    personal = legal_person(sub="personal-sub", username="drug_personal")
    personal.claims["account_type"] = "personal"
    page = await (await drug.log_in(personal)).get(GRANTS)
    assert page.status_code == 403 and text("drug.collection.enterprise_only") in page.text


async def test_another_enterprises_agent_or_a_non_agent_cannot_be_granted(drug):
    await drug.log_in(OTHER_AGENT)
    await drug.log_in(AGENT)
    legal = await drug.log_in(LEGAL)
    chosen = f"{GRANTS}?agent={(await drug.account(AGENT.username)).id}"
    other = await drug.account(OTHER_AGENT.username)
    me = await drug.account(LEGAL.username)
    for target in (other.id, me.id, 999999, "x", ""):
        response = await post_form(legal, chosen, "grant-form", agent_id=str(target), modules=EXPORT_DOSSIER)
        assert response.status_code == 400 and text("drug.grants.no_such_agent") in response.text
    assert (await legal.get(f"{GRANTS}?agent={other.id}")).status_code == 404
    async with drug.system.sessionmaker() as db:
        assert (await db.scalars(select(AgentGrant))).all() == []


async def test_unknown_modules_and_forged_forms_change_nothing(drug):
    await drug.log_in(AGENT)
    legal = await drug.log_in(LEGAL)
    chosen = f"{GRANTS}?agent={(await drug.account(AGENT.username)).id}"
    response = await post_form(legal, chosen, "grant-form", modules=[EXPORT_DOSSIER, "annual_report"])
    assert response.status_code == 400 and text("drug.grants.unknown_module") in response.text
    response = await post_form(legal, chosen, "grant-form", modules=EXPORT_DOSSIER, csrf_token="forged")
    assert response.status_code == 403 and text("page.expired") in response.text
    assert await grants_of(drug, AGENT) == []


async def test_concurrent_saves_leave_one_of_the_chosen_sets_whole(drug):
    await drug.log_in(AGENT)
    agent_id = (await drug.account(AGENT.username)).id
    for _ in range(3):
        choices = [[EXPORT_DOSSIER], [], [EXPORT_DOSSIER], []]
        results = await asyncio.gather(*(save_grants(drug.system, enterprise_code=CODE, agent_id=agent_id,
                                                     modules=chosen, granted_by_name="李四")
                                         for chosen in choices), return_exceptions=True)
        assert not [r for r in results if isinstance(r, BaseException)], results
        async with drug.system.sessionmaker() as db:
            rows = (await db.scalars(select(AgentGrant))).all()
        assert len(rows) == 1 and rows[0].modules in choices


async def test_save_grants_refuses_a_stranger_in_the_function_too(drug):
    await drug.log_in(OTHER_AGENT)
    other_id = (await drug.account(OTHER_AGENT.username)).id
    try:
        await save_grants(drug.system, enterprise_code=CODE, agent_id=other_id, modules=[EXPORT_DOSSIER],
                          granted_by_name="李四")
    except Refusal as refused:
        assert refused.message_id == "drug.grants.no_such_agent"
    else:
        raise AssertionError("granted another enterprise's agent")
