"""A question's life: submitted with a reference and a deadline, answered once (the second of two
racing answers is told), closed, reassigned; every refusal coded, every staff action audited."""
from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.consultations import references, transitions
from idp.consultations.models import ANSWERED, CLOSED, OPEN, Consultation
from idp.consultations.queries import get_consultation
from idp.consultations.questions import DESCRIPTION_MAX
from idp.consultations.working_days import due_at
from idp.errors import DomainError
from idp.inbox.models import AccountMessage
from tests.support.consultations import file_question


async def events(put, name: str) -> list[AuditEvent]:
    async with put.portal.sessionmaker() as db:
        return list((await db.scalars(select(AuditEvent).where(AuditEvent.event == name))).all())


async def answer(put, consultation_id: int, staff: str = "helpdesk1", text: str = "已为您解除绑定。"):
    async with put.portal.sessionmaker.begin() as db:
        return await transitions.answer_consultation(db, consultation_id, staff=staff, text=text)


async def test_a_submitted_question_has_a_reference_a_deadline_and_is_open(put):
    row = await file_question(put, account_id=put.account.id)
    assert re.fullmatch(r"ZX\d{8}\d{6}", row.reference)
    assert row.status == OPEN and row.account_id == put.account.id
    assert row.due_at == due_at(row.submitted_at)
    [event] = await events(put, "consultation.submitted")
    assert event.details["reference"] == row.reference


async def test_a_taken_reference_is_drawn_again(put, monkeypatch):
    first = await file_question(put)
    drawn = iter([first.reference, first.reference, "ZX20261204000001"])
    monkeypatch.setattr(references, "new_reference", lambda now: next(drawn))
    second = await file_question(put)
    assert second.reference == "ZX20261204000001"
    async with put.portal.sessionmaker() as db:
        assert len((await db.scalars(select(Consultation))).all()) == 2


async def test_a_description_over_500_characters_is_refused_and_nothing_stored(put):
    with pytest.raises(DomainError) as refused:
        await file_question(put, description="问" * (DESCRIPTION_MAX + 1))
    assert refused.value.message_id == "consultation.too_long"
    async with put.portal.sessionmaker() as db:
        assert (await db.scalars(select(Consultation))).first() is None


async def test_answering_tells_the_account_in_my_messages_and_is_audited(put):
    row = await file_question(put, account_id=put.account.id)
    answered = await answer(put, row.id, text="  已为您解除绑定。 ")
    assert (answered.status, answered.answer, answered.answered_by) == (ANSWERED, "已为您解除绑定。", "helpdesk1")
    async with put.portal.sessionmaker() as db:
        [note] = (await db.scalars(select(AccountMessage).where(AccountMessage.account_id == put.account.id))).all()
    assert note.kind == "consultation_answered" and row.reference in note.body and "已为您解除绑定。" in note.body
    [event] = await events(put, "consultation.answered")
    assert event.actor == "staff:helpdesk1" and event.details["reference"] == row.reference
    assert event.subject == put.account.subject  # whom it concerns: the asker's account


async def test_a_question_filed_without_login_gets_no_note(put):
    row = await file_question(put)
    await answer(put, row.id)
    async with put.portal.sessionmaker() as db:
        assert (await db.scalars(select(AccountMessage))).first() is None


async def test_an_answered_question_cannot_be_answered_again(put):
    row = await file_question(put)
    await answer(put, row.id, staff="first")
    with pytest.raises(DomainError) as refused:
        await answer(put, row.id, staff="second", text="另一个回复")
    assert refused.value.message_id == "consultation.not_open"
    async with put.portal.sessionmaker() as db:
        stored = await get_consultation(db, row.id)
    assert (stored.answered_by, stored.answer) == ("first", "已为您解除绑定。")


async def test_two_answers_at_once_one_wins_the_other_is_told(put):
    row = await file_question(put, account_id=put.account.id)
    outcomes = await asyncio.gather(*(answer(put, row.id, staff=name, text=f"{name}的回复")
                                      for name in ("alice", "bob")), return_exceptions=True)
    won = [o for o in outcomes if isinstance(o, Consultation)]
    lost = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert lost[0].message_id == "consultation.not_open"
    async with put.portal.sessionmaker() as db:
        stored = await get_consultation(db, row.id)
        notes = (await db.scalars(select(AccountMessage))).all()
    assert stored.answered_by == won[0].answered_by and len(notes) == 1
    assert len(await events(put, "consultation.answered")) == 1


@pytest.mark.parametrize("text, message_id", [("   ", "consultation.answer_required"),
                                               ("答" * 2001, "consultation.answer_too_long"),
                                               ("回复\x00", "consultation.unprintable")])
async def test_an_empty_or_overlong_answer_is_refused(put, text, message_id):
    row = await file_question(put)
    with pytest.raises(DomainError) as refused:
        await answer(put, row.id, text=text)
    assert refused.value.message_id == message_id
    async with put.portal.sessionmaker() as db:
        assert (await get_consultation(db, row.id)).status == OPEN


async def test_an_unknown_question_is_not_found(put):
    with pytest.raises(DomainError) as refused:
        await answer(put, 424242)
    assert refused.value.message_id == "consultation.not_found" and refused.value.status_code == 404


async def test_closing_an_answered_question_and_never_twice(put):
    row = await file_question(put)
    await answer(put, row.id)
    async with put.portal.sessionmaker.begin() as db:
        closed = await transitions.close_consultation(db, row.id, staff="helpdesk1")
    assert closed.status == CLOSED and closed.closed_at is not None
    with pytest.raises(DomainError) as refused:
        async with put.portal.sessionmaker.begin() as db:
            await transitions.close_consultation(db, row.id, staff="helpdesk1")
    assert refused.value.message_id == "consultation.not_open"
    [event] = await events(put, "consultation.closed")
    assert event.actor == "staff:helpdesk1"


async def test_reassigning_an_open_question(put):
    row = await file_question(put)
    async with put.portal.sessionmaker.begin() as db:
        moved = await transitions.reassign_consultation(db, row.id, staff="helpdesk1", to="helpdesk2")
    assert moved.assignee == "helpdesk2"
    [event] = await events(put, "consultation.reassigned")
    assert (event.actor, event.details["assignee"]) == ("staff:helpdesk1", "helpdesk2")
    await answer(put, row.id)
    with pytest.raises(DomainError) as refused:
        async with put.portal.sessionmaker.begin() as db:
            await transitions.reassign_consultation(db, row.id, staff="helpdesk1", to="helpdesk3")
    assert refused.value.message_id == "consultation.not_open"


async def test_reassigning_needs_someone_to_reassign_to(put):
    row = await file_question(put)
    with pytest.raises(DomainError) as refused:
        async with put.portal.sessionmaker.begin() as db:
            await transitions.reassign_consultation(db, row.id, staff="helpdesk1", to=" ")
    assert refused.value.message_id == "consultation.assignee_required"

