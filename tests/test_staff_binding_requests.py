"""绑定管理 at /staff/bindings (idp/web/staff/binding_requests.py): the open 解除绑定 requests, a
request's page finding the account it names, undoing the chosen binding (both sides, the reason
and the request in the audit log, the user's 我的消息 told, 我的绑定 shows 授权绑定 again),
deactivating a duplicate 二级 account, answering and closing; only for the role 绑定管理; two staff
undoing one binding at once: one does it, the other is told."""
from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select, update

from idp.accounts.models import Account, with_indexes
from idp.audit.models import AuditEvent
from idp.consultations.models import Consultation
from idp.inbox.models import AccountMessage
from idp.staff.roles import BINDINGS, HELPDESK
from tests.support.agents import add_enterprise, authorize_agent, citizen_id
from tests.support.binding_flows import binding, bound, on_bindings_page, shown
from tests.support.bindings import bound_on_portal
from tests.support.consultations import file_question
from tests.support.portal import hidden_fields
from tests.support.space import fresh, signed_in
from tests.support.staff import add_staff, staff_sign_in

CLASSIFICATION = "医疗器械分类界定信息系统"
REASON = "根据解除绑定申请，企业不再使用该系统"


async def staff_client(put, username: str = "bangding01", roles=BINDINGS):
    secret = await add_staff(put, username, roles)
    client = put.http()
    await staff_sign_in(client, username, secret=secret)
    return client


@pytest.fixture
async def admin(put):
    client = await staff_client(put)
    yield client
    await client.aclose()


async def audited(put, event: str) -> list[AuditEvent]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(AuditEvent).where(AuditEvent.event == event))).all())


async def notes(put, account_id: int) -> list[AccountMessage]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(AccountMessage).where(AccountMessage.account_id == account_id))).all())


async def post_form(client, page, action: str, **fields):
    return await client.post(action, data={"csrf_token": hidden_fields(page.text)["csrf_token"], **fields})


def binding_field(page_html: str, client_id: str) -> str:
    found = re.search(r'name="binding" value="([^"]+)">\s*<label>原因[^<]*<input[^>]*>\s*</label>\s*'
                      rf'<button type="submit" class="small-button" id="unbind-{client_id}"', page_html)
    assert found, page_html[:2000]
    return found.group(1)


async def test_the_open_requests_are_listed_and_other_questions_are_not(put, admin):
    request = await file_question(put, title="申请解除分类界定系统绑定")
    await file_question(put, category="login", title="登录不了")
    page = await admin.get("/staff/bindings")
    assert page.status_code == 200 and f'id="request-{request.reference}"' in page.text
    assert "申请解除分类界定系统绑定" in page.text and "登录不了" not in page.text
    other = (await file_question(put, category="login")).id
    assert (await admin.get(f"/staff/bindings/{other}")).status_code == 404


async def test_a_request_filed_logged_in_shows_the_account_and_undoing_its_binding_works_on_both_sides(put, admin):
    classification = await put.add_client("classification", display_name=CLASSIFICATION)
    browser = await on_bindings_page(put, put.account)
    binding_id = await bound(put, browser, classification, "create")
    assert shown((await browser.go("/space/bindings")).text, "classification") == "fixed"
    request = await file_question(put, account_id=put.account.id, system="classification")
    page = await admin.get(f"/staff/bindings/{request.id}")
    assert 'id="tied"' in page.text and 'data-account="zhangsan"' in page.text
    assert 'id="binding-classification" data-state="active"' in page.text and "不可解除" in page.text
    assert binding_field(page.text, "classification") == binding_id
    done = await post_form(admin, page, f"/staff/bindings/{request.id}/unbind", account=str(put.account.id),
                           binding=binding_id, reason=REASON)
    assert done.status_code == 303 and "done=unbound" in done.headers["location"]
    row = await binding(put, binding_id)
    assert (row.state, row.ended_by, row.ended_reason) == ("ended", "staff:bangding01", REASON)
    assert put.systems.links == {}  # the system removed its (created) link: forced
    (event,) = await audited(put, "binding.force_unbind")
    assert event.actor == "staff:bangding01" and event.details["request"] == request.reference
    assert event.details["reason"] == REASON
    (note,) = await notes(put, put.account.id)
    assert note.kind == "binding_force_unbound" and CLASSIFICATION in note.body and REASON in note.body
    # 我的绑定 offers 授权绑定 again, and the header counts the unread note.
    again = await browser.go("/space/bindings")
    assert shown(again.text, "classification") == "bind" and 'id="unread-count"' in again.text
    after = await admin.get(done.headers["location"])
    assert 'id="bindings-notice"' in after.text and 'id="no-bindings"' in after.text
    await browser.aclose()


async def test_a_request_filed_without_login_finds_the_enterprise_and_its_agents_bindings(put, admin):
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    agency = await authorize_agent(put, enterprise, put.account)
    await put.add_client("classification", display_name=CLASSIFICATION)
    await put.add_client("combination", display_name="药械组合产品属性界定信息系统")
    await bound_on_portal(put, enterprise, "classification", kind="created")
    await bound_on_portal(put, put.account, "combination", kind="created", agency=agency)
    request = await file_question(put, system="classification")
    page = await admin.get(f"/staff/bindings/{request.id}")
    assert 'id="no-account"' in page.text
    found = await admin.get(f"/staff/bindings/{request.id}", params={"q": enterprise.credit_code})
    assert 'id="match-acme"' in found.text
    chosen = await admin.get(f"/staff/bindings/{request.id}", params={"account": enterprise.id})
    assert 'id="binding-classification" data-state="active"' in chosen.text
    assert 'id="binding-combination-agent" data-state="active"' in chosen.text
    assert "代表示例医疗器械有限公司" in chosen.text
    by_username = await admin.get(f"/staff/bindings/{request.id}", params={"q": "ACME"})
    assert 'id="match-acme"' in by_username.text
    by_id = await admin.get(f"/staff/bindings/{request.id}", params={"q": put.account.id_number})
    assert 'id="match-zhangsan"' in by_id.text
    nothing = await admin.get(f"/staff/bindings/{request.id}", params={"q": "nobody"})
    assert 'id="no-matches"' in nothing.text


async def test_two_staff_undoing_one_binding_at_once_one_does_it_the_other_is_told(put, admin):
    await put.add_client("classification", display_name=CLASSIFICATION)
    binding_id = await bound_on_portal(put, put.account, "classification", kind="created")
    request = await file_question(put, account_id=put.account.id)
    other = await staff_client(put, "bangding02")
    pages = [await client.get(f"/staff/bindings/{request.id}") for client in (admin, other)]
    answers = await asyncio.gather(*(
        post_form(client, page, f"/staff/bindings/{request.id}/unbind", account=str(put.account.id),
                  binding=binding_id, reason=REASON) for client, page in zip((admin, other), pages, strict=True)))
    assert sorted(answer.status_code for answer in answers) == [303, 409]
    (told,) = [answer for answer in answers if answer.status_code == 409]
    assert "已解除或正在解除" in told.text
    assert len(await audited(put, "binding.force_unbind")) == 1
    assert len(await notes(put, put.account.id)) == 1
    await other.aclose()


async def test_a_reason_is_required_and_nothing_changes_without_it(put, admin):
    await put.add_client("classification", display_name=CLASSIFICATION)
    binding_id = await bound_on_portal(put, put.account, "classification", kind="created")
    request = await file_question(put, account_id=put.account.id)
    page = await admin.get(f"/staff/bindings/{request.id}")
    refused = await post_form(admin, page, f"/staff/bindings/{request.id}/unbind", account=str(put.account.id),
                              binding=binding_id, reason="  ")
    assert refused.status_code == 400 and "请填写解除绑定的原因" in refused.text
    assert (await binding(put, binding_id)).state == "active" and await notes(put, put.account.id) == []


async def test_a_duplicate_two_level_account_is_deactivated_on_request(put, admin):
    duplicate = await put.add_account("zhangsan2", id_type="居民身份证", id_number=citizen_id(77), realname_level=2)
    async with put.portal.sessionmaker.begin() as db:  # imported data: the original's ID number
        await db.execute(update(Account).where(Account.id == duplicate.id).values(
            with_indexes({"id_number": put.account.id_number})))
    request = await file_question(put, account_id=duplicate.id, title="申请删除二级账号")
    page = await admin.get(f"/staff/bindings/{request.id}")
    assert 'id="original-account">zhangsan<' in page.text
    done = await post_form(admin, page, f"/staff/bindings/{request.id}/deactivate", account=str(duplicate.id))
    assert done.status_code == 303 and "done=deactivated" in done.headers["location"]
    assert (await fresh(put, duplicate.id)).disabled_at is not None
    (event,) = await audited(put, "account.deactivated")
    assert event.actor == "staff:bangding01" and event.details["request"] == request.reference
    # The original is not a duplicate: no such action offered, and refused if posted.
    original = await admin.get(f"/staff/bindings/{request.id}", params={"account": put.account.id})
    assert 'id="deactivate-account"' not in original.text
    refused = await post_form(admin, original, f"/staff/bindings/{request.id}/deactivate",
                              account=str(put.account.id))
    assert refused.status_code == 400 and (await fresh(put, put.account.id)).disabled_at is None


async def test_answer_and_close_the_request(put, admin):
    request = await file_question(put, account_id=put.account.id)
    page = await admin.get(f"/staff/bindings/{request.id}")
    answered = await post_form(admin, page, f"/staff/bindings/{request.id}/answer", answer="已为您解除绑定。")
    assert answered.status_code == 303
    assert [n.kind for n in await notes(put, put.account.id)] == ["consultation_answered"]
    page = await admin.get(f"/staff/bindings/{request.id}")
    closed = await post_form(admin, page, f"/staff/bindings/{request.id}/close")
    assert closed.status_code == 303
    async with put.portal.reader() as db:
        row = await db.get(Consultation, request.id)
    assert row.status == "closed"
    assert f'id="request-{request.reference}"' not in (await admin.get("/staff/bindings")).text


async def test_only_the_binding_administrators_role_opens_these_pages(put):
    request = await file_question(put, account_id=put.account.id)
    helpdesk = await staff_client(put, "kefu01", HELPDESK)
    for path in ("/staff/bindings", f"/staff/bindings/{request.id}"):
        assert (await helpdesk.get(path)).status_code == 403, path
    page = await helpdesk.get("/staff")
    forbidden = await post_form(helpdesk, page, f"/staff/bindings/{request.id}/close")
    assert forbidden.status_code == 403
    await helpdesk.aclose()
    async with put.http() as anonymous:
        response = await anonymous.get("/staff/bindings")
    assert response.status_code == 303 and response.headers["location"] == "/staff/login"
    user = await signed_in(put, put.account)  # a portal user's login is not a staff login
    assert (await user.client.get("/staff/bindings")).status_code == 303
    await user.aclose()
