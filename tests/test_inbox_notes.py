"""The notes the portal posts to 我的消息 where a change happens (idp/inbox/notes.py): a binding
undone by staff, an agent added, removed, authorized for a system and revoked, and a login from a
new place — each in the change's own transaction, to the account it concerns."""
from __future__ import annotations

import hashlib
import secrets

import httpx
import pytest
from sqlalchemy import select

from idp.agents import transitions as agents
from idp.errors import DomainError
from idp.inbox.models import AccountMessage
from tests.support.agents import add_enterprise, authorize_agent
from tests.support.binding_flows import binding_of, bound, confirm, host, on_bindings_page
from tests.support.bindings import bound_on_portal
from tests.support.login import open_login
from tests.support.portal import ISSUER, Browser, hidden_fields, running_portal
from tests.support.space import signed_in

REASON = "咨询单 ZX20261204001：申请解除不可解除的绑定"
DRUG = "药品业务应用系统"
CHROME_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


async def notes(put, account_id: int) -> list[AccountMessage]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(AccountMessage).where(AccountMessage.account_id == account_id)
                                      .order_by(AccountMessage.id))).all())


@pytest.fixture
async def staff_api(database_url):
    token = secrets.token_urlsafe(32)
    async with running_portal(database_url, admin_api_token_digest=hashlib.sha256(token.encode()).hexdigest()) as put:
        put.account = await put.add_account("zhangsan", id_type="居民身份证", id_number="110000198506120133",
                                            realname_level=2)
        put.auth = {"Authorization": f"Bearer {token}"}
        yield put


async def test_a_staff_force_unbind_tells_the_holder_the_system_and_the_reason(staff_api):
    put = staff_api
    drug = await put.add_client("drug", display_name=DRUG)
    browser = await on_bindings_page(put, put.account)
    binding_id = await bound(put, browser, drug, "create")
    async with put.http() as http:
        response = await http.post(f"/admin/api/bindings/{binding_id}/force-unbind",
                                   json={"reason": REASON, "staff": "kefu-08"}, headers=put.auth)
        assert response.status_code == 200
        again = await http.post(f"/admin/api/bindings/{binding_id}/force-unbind",
                                json={"reason": REASON, "staff": "kefu-08"}, headers=put.auth)
        assert again.status_code == 409
    (note,) = await notes(put, put.account.id)  # the refused second attempt posted nothing
    assert (note.kind, note.title, note.read_at) == ("binding_force_unbound", "业务系统绑定已解除", None)
    assert DRUG in note.body and REASON in note.body and "授权绑定" in note.body
    await browser.aclose()


async def test_a_staff_force_unbind_of_an_agents_binding_tells_the_agent_and_the_enterprise(staff_api):
    put = staff_api
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    await put.add_client("drug", display_name=DRUG)
    binding_id = await bound_on_portal(put, put.account, "drug", kind="created", agency=agency)
    async with put.http() as http:
        response = await http.post(f"/admin/api/bindings/{binding_id}/force-unbind",
                                   json={"reason": REASON, "staff": "kefu-08"}, headers=put.auth)
    assert response.status_code in (200, 202)
    agent_note = (await notes(put, put.account.id))[-1]
    assert agent_note.kind == "binding_force_unbound" and DRUG in agent_note.body
    (enterprise_note,) = await notes(put, enterprise.id)
    assert enterprise_note.kind == "binding_force_unbound"
    assert "经办人张三" in enterprise_note.body and "示例医疗器械有限公司" in enterprise_note.body
    assert REASON in enterprise_note.body


async def test_adding_and_removing_an_agent_tells_the_agent_only(put):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    (added,) = await notes(put, put.account.id)
    assert (added.kind, added.title) == ("agent_added", "经办人授权提醒")
    assert "示例医疗器械有限公司" in added.body and "法人登录" in added.body
    await agents.remove_agent(put.portal, enterprise, agency.id, source_ip=None)
    removed = (await notes(put, put.account.id))[-1]
    assert removed.kind == "agent_removed" and "移除" in removed.body
    assert await notes(put, enterprise.id) == []  # the legal person did it itself


async def test_a_refused_add_posts_nothing(put):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    await authorize_agent(put, enterprise, put.account)
    with pytest.raises(DomainError):
        await authorize_agent(put, enterprise, put.account)  # already added
    assert [n.kind for n in await notes(put, put.account.id)] == ["agent_added"]


async def test_an_agents_system_authorized_and_revoked_is_told_to_the_agent(put):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    combination = await put.add_client("combination", display_name="药械组合产品属性界定信息系统")
    legal = await signed_in(put, enterprise)
    page = await legal.go(f"/space/agents/{agency.id}/bindings/combination")
    started = await legal.client.post(f"/space/agents/{agency.id}/bindings/combination",
                                      data={"csrf_token": hidden_fields(page.text)["csrf_token"], "mode": "create"})
    binding_id = binding_of(started)
    assert [n.kind for n in await notes(put, put.account.id)] == ["agent_added"]  # pending: nothing yet
    put.systems.link(host("combination"), binding_id, agency.subject, "created")
    assert (await confirm(put, combination, binding_id, "created")).status_code == 200
    assert (await confirm(put, combination, binding_id, "created")).status_code == 200  # repeated: idempotent
    authorized = (await notes(put, put.account.id))[1:]
    assert [n.kind for n in authorized] == ["agent_authorized"]
    assert "药械组合产品属性界定信息系统" in authorized[0].body and "示例医疗器械有限公司" in authorized[0].body
    client = await put.portal.client("combination")
    await agents.revoke_agent_binding(put.portal, enterprise, agency.id, client, source_ip=None)
    revoked = (await notes(put, put.account.id))[-1]
    assert revoked.kind == "agent_revoked" and "撤销" in revoked.body and "药械组合产品属性界定信息系统" in revoked.body
    await legal.aclose()


def browser_from(put, address: str, user_agent: str) -> Browser:
    browser = Browser(put)
    browser.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=put.app, client=(address, 40000)),
                                       base_url=ISSUER, headers={"user-agent": user_agent})
    return browser


async def log_in_from(put, address: str, user_agent: str) -> None:
    browser = browser_from(put, address, user_agent)
    try:
        response = await browser.login(await open_login(browser))
        assert str(response.url).endswith("/space"), response.text[:300]
    finally:
        await browser.aclose()


async def test_a_login_from_a_new_place_is_told_but_not_the_first_nor_a_known_one(put):
    await log_in_from(put, "10.0.0.1", CHROME_WINDOWS)
    assert await notes(put, put.account.id) == []  # the very first login
    await log_in_from(put, "10.0.0.1", CHROME_WINDOWS)
    assert await notes(put, put.account.id) == []  # seen before
    await log_in_from(put, "203.0.113.7", CHROME_WINDOWS)
    (note,) = await notes(put, put.account.id)
    assert (note.kind, note.title) == ("new_login_place", "新地点登录提醒")
    assert "203.0.113.7" in note.body and "Chrome · Windows" in note.body and "zhangsan" in note.body
    await log_in_from(put, "203.0.113.7", FIREFOX_LINUX)  # a new device at a known address
    assert "Firefox · Linux" in (await notes(put, put.account.id))[-1].body
    await log_in_from(put, "10.0.0.1", CHROME_WINDOWS)
    assert len(await notes(put, put.account.id)) == 2


async def test_a_failed_login_from_a_new_place_posts_nothing(put):
    await log_in_from(put, "10.0.0.1", CHROME_WINDOWS)
    browser = browser_from(put, "198.51.100.9", CHROME_WINDOWS)
    response = await browser.login(await open_login(browser), password="Wrong#2026pass")
    assert response.status_code == 200
    await browser.aclose()
    assert await notes(put, put.account.id) == []
