"""咨询受理 over HTTP: the help desk's queue (overdue first, deadline as a date, overdue marked), a
question's page, answer, close and reassign — each audited as staff:<username> — and two members
answering one question at once: one wins, the other is told."""
from __future__ import annotations

import asyncio
import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.consultations.models import Consultation
from idp.inbox.models import AccountMessage
from idp.staff.roles import AUDITOR, HELPDESK
from tests.support.consultations import ASKER, file_question
from tests.support.space import messages_to
from tests.support.staff import add_staff, staff_sign_in

ROWS = re.compile(r'<tr class="question( overdue)?" data-reference="(ZX\d{14})">.*?<td class="due">([^<]*)', re.S)
ERROR = re.compile(r'<p class="error" role="alert" id="error">([^<]*)</p>')
NOTICE = re.compile(r'<p class="notice" role="status" id="staff-notice">([^<]*)</p>')


async def member(put, username: str, roles=HELPDESK):
    secret = await add_staff(put, username, roles)
    client = put.http()
    await staff_sign_in(client, username, secret=secret)
    return client


@pytest.fixture
async def desk(put):
    client = await member(put, "helpdesk1")
    yield client
    await client.aclose()


async def form_of(client, consultation_id: int) -> dict[str, str]:
    page = await client.get(f"/staff/consultations/{consultation_id}")
    assert page.status_code == 200, page.text[:300]
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)}


async def stored(put, consultation_id: int) -> Consultation:
    async with put.portal.sessionmaker() as db:
        return await db.get(Consultation, consultation_id)


async def events(put, name: str) -> list[AuditEvent]:
    async with put.portal.sessionmaker() as db:
        return list((await db.scalars(select(AuditEvent).where(AuditEvent.event == name))).all())


async def test_the_queue_lists_open_questions_overdue_first_with_the_deadline_as_a_date(put, desk):
    recent = await file_question(put, title="最近的问题")
    overdue = await file_question(put, title="逾期的问题", age=dt.timedelta(days=10))
    page = await desk.get("/staff/consultations")
    rows = ROWS.findall(page.text)
    assert [(bool(mark), reference) for mark, reference, _ in rows] == [(True, overdue.reference),
                                                                        (False, recent.reference)]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}( 已逾期)?", unescape(due).strip()) for _, _, due in rows)
    assert "已逾期" in page.text


async def test_answering_reaches_the_asker_and_is_audited(put, desk):
    row = await file_question(put, account_id=put.account.id)
    response = await desk.post(f"/staff/consultations/{row.id}/answer",
                               data={**await form_of(desk, row.id), "answer": "已为您解除绑定，请刷新我的绑定页面。"})
    assert response.status_code == 303
    queue = await desk.get(response.headers["location"])
    assert NOTICE.search(queue.text).group(1) == f"已回复咨询{row.reference}。"
    assert not ROWS.findall(queue.text)
    answered = await stored(put, row.id)
    assert (answered.status, answered.answered_by) == ("answered", "helpdesk1")
    [event] = await events(put, "consultation.answered")
    assert event.actor == "staff:helpdesk1"
    async with put.portal.sessionmaker() as db:
        [note] = (await db.scalars(select(AccountMessage).where(AccountMessage.account_id == put.account.id))).all()
    assert "已为您解除绑定" in note.body
    assert await messages_to(put, ASKER["mobile"]) and await messages_to(put, ASKER["email"])


async def test_an_empty_answer_is_refused_on_the_page(put, desk):
    row = await file_question(put)
    response = await desk.post(f"/staff/consultations/{row.id}/answer",
                               data={**await form_of(desk, row.id), "answer": "  "})
    assert response.status_code == 400 and ERROR.search(response.text).group(1) == "请输入回复内容"
    assert (await stored(put, row.id)).status == "open"


async def test_two_members_answering_at_once_one_wins_the_other_is_told(put, desk):
    other = await member(put, "helpdesk2")
    try:
        row = await file_question(put)
        forms = [await form_of(client, row.id) for client in (desk, other)]
        responses = await asyncio.gather(*(
            client.post(f"/staff/consultations/{row.id}/answer", data={**form, "answer": f"{name}的回复"})
            for client, form, name in ((desk, forms[0], "helpdesk1"), (other, forms[1], "helpdesk2"))))
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [303, 409], statuses
        [loser] = [response for response in responses if response.status_code == 409]
        assert ERROR.search(loser.text).group(1) == "该咨询已被回复或关闭，请刷新后查看。"
        winner = (await stored(put, row.id)).answered_by
        assert winner in ("helpdesk1", "helpdesk2") and f"{winner}的回复" in loser.text  # the page shows the answer
        assert len(await events(put, "consultation.answered")) == 1
    finally:
        await other.aclose()


async def test_closing_and_reassigning_are_audited(put, desk):
    other = await member(put, "helpdesk2")
    await other.aclose()
    row = await file_question(put)
    response = await desk.post(f"/staff/consultations/{row.id}/reassign",
                               data={**await form_of(desk, row.id), "to": "helpdesk2"})
    assert response.status_code == 303 and (await stored(put, row.id)).assignee == "helpdesk2"
    mine = await desk.get("/staff/consultations?mine=1")
    assert row.reference not in mine.text
    response = await desk.post(f"/staff/consultations/{row.id}/close", data=await form_of(desk, row.id))
    assert response.status_code == 303 and (await stored(put, row.id)).status == "closed"
    [reassigned] = await events(put, "consultation.reassigned")
    [closed] = await events(put, "consultation.closed")
    assert reassigned.actor == closed.actor == "staff:helpdesk1" and reassigned.details["assignee"] == "helpdesk2"


async def test_reassigning_to_someone_outside_the_help_desk_is_refused(put, desk):
    auditor = await member(put, "auditor1", AUDITOR)
    await auditor.aclose()
    row = await file_question(put)
    for to in ("auditor1", "nobody"):
        response = await desk.post(f"/staff/consultations/{row.id}/reassign",
                                   data={**await form_of(desk, row.id), "to": to})
        assert response.status_code == 400
        assert ERROR.search(response.text).group(1) == "转派对象不是在岗的咨询受理人员，请重新选择。"
    assert (await stored(put, row.id)).assignee is None and await events(put, "consultation.reassigned") == []


async def test_a_forged_form_changes_nothing(put, desk):
    row = await file_question(put)
    response = await desk.post(f"/staff/consultations/{row.id}/answer", data={"csrf_token": "forged", "answer": "x"})
    assert response.status_code == 403 and (await stored(put, row.id)).status == "open"


async def test_an_unknown_question_is_not_found(put, desk):
    assert (await desk.get("/staff/consultations/424242")).status_code == 404


async def test_other_roles_are_refused(put):
    auditor = await member(put, "auditor1", AUDITOR)
    try:
        row = await file_question(put)
        assert (await auditor.get("/staff/consultations")).status_code == 403
        assert (await auditor.get(f"/staff/consultations/{row.id}")).status_code == 403
    finally:
        await auditor.aclose()
