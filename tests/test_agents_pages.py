"""经办人授权 in 法人空间 (docs/behaviours.md, Agents): adding an agent by its full ID number with the guide's
refusals, the list, one agent's authorized and waiting systems, and who may open the page."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from idp.errors import DomainError
from idp.principals.models import Agency
from shared.messages import text
from tests.support.agents import add_enterprise, add_person, authorize_agent, citizen_id
from tests.support.bindings import bound_on_portal
from tests.support.portal import hidden_fields
from tests.support.space import ALERT, signed_in

PAGE = "/space/agents"


async def add_by_id(browser, id_number: str):
    page = await browser.go(PAGE)
    return await browser.client.post(PAGE, data={"csrf_token": hidden_fields(page.text)["csrf_token"],
                                                 "id_number": id_number})


async def test_a_legal_person_adds_an_agent_by_its_full_id_number_and_sees_it(put):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    person = await add_person(put, "lisi", "李四", 11)
    browser = await signed_in(put, enterprise)
    page = await browser.go("/space")
    assert 'id="menu-agents" href="/space/agents"' in page.text  # in the 法人空间 menu
    added = await add_by_id(browser, person.id_number)
    assert added.status_code == 303 and added.headers["location"].endswith("?done=added")
    page = await browser.go(added.headers["location"])
    assert text("agents.added", name="李四") in page.text
    assert 'id="agent-name">李四<' in page.text and "lisi" in page.text
    assert person.id_number not in page.text  # masked
    # Nothing authorized yet: every bindable system waits, with its 授权绑定.
    assert 'id="none-authorized"' in page.text and 'id="waiting-rp"' in page.text
    await browser.aclose()


async def test_the_refusals_of_the_add_form_change_nothing(put):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    await add_person(put, "wangwu", "王五", 12, realname_level=0)
    browser = await signed_in(put, enterprise)
    cases = [("", "agents.id_number_required"), ("12345", "id_number.format"),
             (citizen_id(99), "agents.no_account"), (citizen_id(12), "agents.not_realname")]
    for id_number, message_id in cases:
        response = await add_by_id(browser, id_number)
        assert response.status_code == 400
        assert ALERT.search(response.text).group(1) == text(message_id), id_number
    # The pointer to registration is on the page (若不存在，引导进行用户注册).
    assert 'href="/register/personal"' in response.text
    async with put.portal.reader() as db:
        assert await db.scalar(select(func.count()).select_from(Agency)) == 0
    await browser.aclose()


async def test_a_15_digit_id_finds_the_account_and_a_second_add_is_refused(put):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    await put.add_account("old15", name="赵六", id_type="居民身份证", id_number="110105198001010032",
                          realname_level=3)
    browser = await signed_in(put, enterprise)
    assert (await add_by_id(browser, "110105800101003")).status_code == 303
    again = await add_by_id(browser, "110105198001010032")
    assert again.status_code == 400 and ALERT.search(again.text).group(1) == text("agents.already_added", name="赵六")
    await browser.aclose()


async def test_parallel_adds_of_one_person_make_one_agency(put):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    person = await add_person(put, "lisi", "李四", 11)
    results = await asyncio.gather(*(authorize_agent(put, enterprise, person) for _ in range(10)),
                                   return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert all(isinstance(r, DomainError) and r.message_id == "agents.already_added"
               for r in results if isinstance(r, Exception)), [repr(r) for r in results]
    async with put.portal.reader() as db:
        assert await db.scalar(select(func.count()).select_from(Agency)) == 1


async def test_only_a_legal_person_opens_the_page(put):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    await authorize_agent(put, enterprise, put.account)
    personal = await signed_in(put, put.account)
    response = await personal.go(PAGE)
    assert response.status_code == 403 and text("agents.legal_only") in response.text
    assert 'id="menu-agents"' not in (await personal.go("/space")).text
    await personal.aclose()


async def test_the_agent_page_splits_authorized_and_waiting_systems_and_hides_other_enterprises_agents(put):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    other = await add_enterprise(put, "other", "另一家公司", 2)
    await put.add_client("drug", display_name="药品业务应用系统")
    agency = await authorize_agent(put, enterprise, put.account)
    foreign = await authorize_agent(put, other, await add_person(put, "lisi", "李四", 11))
    await bound_on_portal(put, put.account, "drug", "created", agency=agency)
    browser = await signed_in(put, enterprise)
    page = await browser.go(f"{PAGE}/{agency.id}")
    assert 'id="authorized-drug" data-state="fixed"' in page.text and "撤销授权" in page.text
    assert 'id="waiting-drug"' not in page.text and 'id="waiting-rp"' in page.text
    # Another enterprise's agent is as good as absent here.
    assert (await browser.go(f"{PAGE}/{foreign.id}")).status_code == 404
    await browser.aclose()
