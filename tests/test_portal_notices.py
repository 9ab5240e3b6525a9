"""POST /api/notices (idp/web/binding_api.py): a business system, authenticated with its client
credentials as on the rest of the binding API, posts a note to 我的消息 of a user bound to it —
and only such a user: any other subject is 404 whether it exists or not."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.inbox.models import AccountMessage
from tests.support.agents import add_enterprise, authorize_agent
from tests.support.binding_flows import system_api
from tests.support.bindings import bound_on_portal

UDI = "医疗器械唯一标识管理信息系统"
NOTICE = {"title": "注册用户信息审核结果：审核通过",
          "body": "示例医疗器械有限公司：您提交的注册用户信息已审核通过。\n请从“我的绑定”进入系统。"}


@pytest.fixture
async def udi(put):
    put.udi = await put.add_client("udi", display_name=UDI)
    put.drug = await put.add_client("drug", display_name="药品业务应用系统")
    yield put


async def notes(put, account_id: int) -> list[AccountMessage]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(AccountMessage).where(AccountMessage.account_id == account_id))).all())


async def post(put, client, body: dict):
    async with system_api(put, client) as api:
        return await api.post("/api/notices", json=body)


async def test_a_bound_system_posts_a_note_titled_with_its_name(udi):
    put = udi
    await bound_on_portal(put, put.account, "udi", kind="created")
    response = await post(put, put.udi, {"sub": put.account.subject, **NOTICE})
    assert response.status_code == 201 and response.json() == {"posted": True}
    (note,) = await notes(put, put.account.id)
    assert (note.kind, note.title, note.body) == ("system_notice", f"【{UDI}】{NOTICE['title']}", NOTICE["body"])
    async with put.portal.reader() as db:
        (event,) = (await db.scalars(select(AuditEvent).where(AuditEvent.event == "inbox.system_notice"))).all()
    assert event.actor == "system:udi" and event.client_id == "udi"


async def test_an_agents_subject_reaches_the_agent(udi):
    put = udi
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    await bound_on_portal(put, put.account, "udi", kind="existing", agency=agency)
    assert (await post(put, put.udi, {"sub": agency.subject, **NOTICE})).status_code == 201
    assert [n.kind for n in await notes(put, put.account.id)] == ["agent_added", "system_notice"]
    assert await notes(put, enterprise.id) == []


async def test_a_subject_not_bound_to_the_caller_is_not_found_whatever_it_is(udi):
    put = udi
    await bound_on_portal(put, put.account, "drug", kind="created")  # bound to another system
    lisi = await put.add_account("lisi", name="李四")
    for sub in (put.account.subject, lisi.subject, "no-such-subject"):
        response = await post(put, put.udi, {"sub": sub, **NOTICE})
        assert (response.status_code, response.json()) == (404, {"error": "not_found"}), sub
    assert await notes(put, put.account.id) == [] and await notes(put, lisi.id) == []


async def test_an_ended_binding_no_longer_reaches_the_user(udi):
    put = udi
    binding_id = await bound_on_portal(put, put.account, "udi", kind="existing")
    async with system_api(put, put.udi) as api:
        assert (await api.post(f"/api/bindings/{binding_id}/ended", json={"reason": "unlinked"})).status_code == 200
    assert (await post(put, put.udi, {"sub": put.account.subject, **NOTICE})).status_code == 404


@pytest.mark.parametrize("body", [
    {"title": "t", "body": "b"},
    {"sub": "s", "body": "b"},
    {"sub": "s", "title": "t"},
    {"sub": "s", "title": " ", "body": "b"},
    {"sub": "s", "title": "a\nb", "body": "b"},
    {"sub": "s", "title": "t" * 101, "body": "b"},
    {"sub": "s", "title": "t", "body": "b" * 1001},
    {"sub": "s", "title": "t", "body": "b\x00"},
    {"sub": ["s"], "title": "t", "body": "b"},
])
async def test_a_malformed_notice_is_400_and_posts_nothing(udi, body):
    put = udi
    await bound_on_portal(put, put.account, "udi", kind="created")
    if body.get("sub") == "s":
        body = {**body, "sub": put.account.subject}
    response = await post(put, put.udi, body)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert await notes(put, put.account.id) == []


async def test_a_caller_without_valid_credentials_is_refused(udi):
    put = udi
    await bound_on_portal(put, put.account, "udi", kind="created")
    async with put.http() as http:
        anonymous = await http.post("/api/notices", json={"sub": put.account.subject, **NOTICE})
        wrong = await http.post("/api/notices", json={"sub": put.account.subject, **NOTICE}, auth=("udi", "wrong"))
    assert anonymous.status_code == wrong.status_code == 401
    assert await notes(put, put.account.id) == []
