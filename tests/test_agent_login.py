"""An agent's login and what business systems receive (docs/claims.md, Agents): 法人登录 with its
own username, the choice of enterprise, the claims and subjects in tokens, UserInfo and
introspection, and the same person through 个人登录 as itself."""
from __future__ import annotations

import asyncio

from shared.messages import text
from tests.support.agents import add_enterprise, add_person, agent_code_flow, agent_login, authorize_agent, sessions_of
from tests.support.bindings import bound_on_portal
from tests.support.portal import Browser, hidden_fields
from tests.support.space import ALERT
from tests.support.tokens import code_flow, introspect, userinfo, verified_claims

SCOPE = "openid profile identity enterprise offline_access"


async def login_page(browser: Browser):
    return await browser.go("/login?window=legal")


async def test_an_agent_logs_in_through_法人登录_and_lands_in_the_enterprise_space(put, browser):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    page = await agent_login(browser, await login_page(browser), "zhangsan")
    assert page.status_code == 200 and 'id="space-name">法人空间<' in page.text
    assert 'id="space-user">示例医疗器械有限公司<' in page.text and "经办人：张三" in page.text
    assert 'id="menu-agents"' not in page.text  # only the legal person manages agents
    [session] = await sessions_of(put, put.account.id)
    assert session.agency_id == agency.id


async def test_a_person_who_is_nobodys_agent_is_told_to_use_个人登录_after_the_right_password_only(put, browser):
    wrong = await browser.login(await login_page(browser), "zhangsan", "Wrong@2026pass", window="legal")
    assert ALERT.search(wrong.text).group(1) == text("login.wrong_credentials")
    right = await agent_login(browser, await login_page(browser), "zhangsan")
    assert ALERT.search(right.text).group(1) == text("login.not_agent")
    assert await sessions_of(put, put.account.id) == []


async def test_an_agent_of_two_enterprises_chooses_one_and_acts_for_it(put, browser):
    first = await add_enterprise(put, "acme", "甲公司", 1)
    second = await add_enterprise(put, "beta", "乙公司", 2)
    await authorize_agent(put, first, put.account)
    chosen = await authorize_agent(put, second, put.account)
    choice = await agent_login(browser, await login_page(browser), "zhangsan")
    assert 'action="/login/enterprise"' in choice.text and "甲公司" in choice.text and "乙公司" in choice.text
    assert await sessions_of(put, put.account.id) == []  # no session before the choice
    page = await browser.submit(choice, "/login/enterprise", agency=str(chosen.id))
    assert 'id="space-user">乙公司<' in page.text
    [session] = await sessions_of(put, put.account.id)
    assert session.agency_id == chosen.id


async def test_the_choice_cannot_name_an_enterprise_the_person_does_not_act_for(put, browser):
    first = await add_enterprise(put, "acme", "甲公司", 1)
    second = await add_enterprise(put, "beta", "乙公司", 2)
    other = await add_enterprise(put, "gamma", "丙公司", 3)
    await authorize_agent(put, first, put.account)
    await authorize_agent(put, second, put.account)
    foreign = await authorize_agent(put, other, await add_person(put, "lisi", "李四", 11))
    choice = await agent_login(browser, await login_page(browser), "zhangsan")
    refused = await browser.submit(choice, "/login/enterprise", agency=str(foreign.id))
    assert refused.status_code == 409 and await sessions_of(put, put.account.id) == []


async def test_tokens_speak_for_the_agent_acting_for_the_enterprise(put, browser):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    tokens = await agent_code_flow(put, browser, put.rp, "zhangsan", scope=SCOPE)
    id_token = await verified_claims(put, tokens["id_token"])
    assert id_token["sub"] == agency.subject != put.account.subject
    info = (await userinfo(put, tokens["access_token"])).json()
    assert info == {
        "sub": agency.subject, "name": "张三", "preferred_username": "zhangsan", "updated_at": info["updated_at"],
        "account_type": "agent", "realname_level": 2,
        "acting_person": {"sub": put.account.subject, "name": "张三"},
        "enterprise": {"name": "示例医疗器械有限公司", "unified_social_credit_code": enterprise.credit_code,
                       "legal_representative": "王法人"},
    }
    assert (await introspect(put, put.rp, tokens["access_token"]))["sub"] == agency.subject
    assert (await introspect(put, put.rp, tokens["refresh_token"]))["sub"] == agency.subject


async def test_the_same_person_through_个人登录_is_itself_without_the_enterprise(put, browser):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    await put.add_client("drug", display_name="药品业务应用系统")
    await bound_on_portal(put, put.account, "drug", "created", agency=agency)
    tokens = await code_flow(put, browser, put.rp, SCOPE)  # 个人登录
    info = (await userinfo(put, tokens["access_token"])).json()
    assert info["sub"] == put.account.subject and info["account_type"] == "personal"
    assert "enterprise" not in info and "acting_person" not in info
    space = await browser.go("/space/bindings")
    assert 'id="space-name">个人空间<' in space.text and 'data-state="fixed"' not in space.text
    assert (await browser.go("/sso/drug")).status_code == 403  # the enterprise's binding is not the person's


async def test_an_agent_sees_only_what_its_enterprise_authorized_and_changes_nothing(put, browser):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    await put.add_client("drug", display_name="药品业务应用系统")
    await put.add_client("udi", display_name="医疗器械唯一标识管理信息系统")
    await bound_on_portal(put, put.account, "drug", "created", agency=agency)
    await bound_on_portal(put, enterprise, "udi", "created")  # the legal person's own: not the agent's
    await agent_login(browser, await login_page(browser), "zhangsan")
    page = await browser.go("/space/bindings")
    assert 'id="system-drug"' in page.text and '<a class="sso" href="/sso/drug">' in page.text
    assert 'id="system-udi"' not in page.text and 'id="system-rp"' not in page.text
    assert "授权绑定</a>" not in page.text and "解除绑定" not in page.text
    refused = await browser.go("/space/bindings/rp")
    assert refused.status_code == 403 and text("binding.agent_by_legal_person") in refused.text
    sso = await browser.client.get("/sso/udi")
    assert sso.status_code == 403  # the enterprise's own binding is not the agent's


async def test_logging_in_as_the_agent_ends_the_personal_session_of_the_same_person(put, browser):
    """Another capacity is another principal for the systems: a new session, not the old sid."""
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    await authorize_agent(put, enterprise, put.account)
    await code_flow(put, browser, put.rp, "openid")  # 个人登录
    await agent_login(browser, await login_page(browser), "zhangsan")
    personal, acting = await sessions_of(put, put.account.id)
    assert personal.agency_id is None and personal.ended_at is not None
    assert acting.agency_id is not None and acting.ended_at is None and acting.sid != personal.sid


async def test_a_choice_submitted_twice_at_once_starts_one_session(put, browser):
    first = await add_enterprise(put, "acme", "甲公司", 1)
    second = await add_enterprise(put, "beta", "乙公司", 2)
    await authorize_agent(put, first, put.account)
    chosen = await authorize_agent(put, second, put.account)
    choice = await agent_login(browser, await login_page(browser), "zhangsan")
    form = {**hidden_fields(choice.text), "agency": str(chosen.id)}
    answers = await asyncio.gather(*(browser.client.post("/login/enterprise", data=form) for _ in range(5)))
    # One starts the session; the others see 页面已过期: 409 if they read the flow before the winner
    # finished it, 400 if after (a finished flow reads like an unknown one). Which, is timing.
    assert sorted(a.status_code for a in answers)[0] == 303
    assert [a.status_code for a in answers].count(303) == 1
    assert all(a.status_code in (400, 409) and "页面已过期" in a.text for a in answers if a.status_code != 303)
    assert len(await sessions_of(put, put.account.id)) == 1
