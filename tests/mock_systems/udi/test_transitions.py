"""The review's state machine (mock_systems/udi/transitions.py): each transition only from its
state, a reason required to reject, a stale submission refused, one notification per decision
in the decision's transaction, and of two reviewers deciding at once exactly one wins."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from mock_systems.udi.forms import read_details
from mock_systems.udi.models import RegistrationState, StaffMember
from mock_systems.udi.transitions import (
    approve_registration,
    reject_registration,
    resubmit_registration,
    submit_registration,
)
from shared.refusals import Refusal
from tests.mock_systems.udi.conftest import DETAILS, created_user, notifications, registration_of

GOOD, _, _ = read_details(DETAILS)


@pytest.fixture
async def submitted(udi):
    """An account created by binding with its details submitted (待审核): its account id."""
    user = await created_user(udi)
    async with udi.state.system.sessionmaker.begin() as db:
        await submit_registration(db, user.account.id, GOOD)
    return user.account.id


async def staff_id(app) -> int:
    async with app.state.system.sessionmaker() as db:
        return await db.scalar(select(StaffMember.id).where(StaffMember.username == "udi_staff"))


async def run(app, transition, *args):
    async with app.state.system.sessionmaker.begin() as db:
        await transition(db, *args)


async def test_a_second_first_submission_is_refused(udi, submitted):
    with pytest.raises(Refusal, match="udi.already_submitted"):
        await run(udi, submit_registration, submitted, GOOD)
    with pytest.raises(Refusal, match="udi.already_submitted"):  # not rejected: no resubmission
        await run(udi, resubmit_registration, submitted, GOOD)


async def test_approve_then_nothing_more(udi, submitted):
    registration, reviewer = await registration_of(udi, submitted), await staff_id(udi)
    await run(udi, approve_registration, registration.id, 1, reviewer)
    after = await registration_of(udi, submitted)
    assert after.state is RegistrationState.approved and after.reviewer_id == reviewer and after.reviewed_at
    for transition, args in ((approve_registration, ()), (reject_registration, ("原因",))):
        with pytest.raises(Refusal, match="udi.already_reviewed"):
            await run(udi, transition, registration.id, 1, reviewer, *args)
    with pytest.raises(Refusal):
        await run(udi, resubmit_registration, submitted, GOOD)
    (notification,) = await notifications(udi)
    assert (notification.channel, notification.recipient, notification.submission) == ("sms", "13800000000", 1)
    assert "审核通过" in notification.subject and notification.delivered_at is None  # the sender's job


async def test_reject_needs_a_reason_then_the_user_may_resubmit(udi, submitted):
    registration, reviewer = await registration_of(udi, submitted), await staff_id(udi)
    for reason in ("", "   ", "x" * 501):
        with pytest.raises(Refusal, match="udi.reason"):
            await run(udi, reject_registration, registration.id, 1, reviewer, reason)
    assert (await registration_of(udi, submitted)).state is RegistrationState.pending and await notifications(udi) == []
    await run(udi, reject_registration, registration.id, 1, reviewer, "统一社会信用代码与机构名称不符")
    rejected = await registration_of(udi, submitted)
    assert rejected.state is RegistrationState.rejected and rejected.reject_reason == "统一社会信用代码与机构名称不符"
    corrected, _, _ = read_details({**DETAILS, "contact_email": "li@example.com"})
    await run(udi, resubmit_registration, submitted, corrected)
    again = await registration_of(udi, submitted)
    assert (again.state, again.submission, again.reject_reason, again.contact_email) == \
        (RegistrationState.pending, 2, None, "li@example.com")
    with pytest.raises(Refusal, match="udi.already_reviewed"):  # a decision on what was replaced
        await run(udi, approve_registration, registration.id, 1, reviewer)
    await run(udi, approve_registration, registration.id, 2, reviewer)
    first, second = await notifications(udi)
    assert (first.submission, first.channel, second.submission, second.channel) == (1, "sms", 2, "email")
    assert "统一社会信用代码与机构名称不符" in first.body


async def test_a_decision_rolled_back_leaves_no_notification(udi, submitted):
    registration, reviewer = await registration_of(udi, submitted), await staff_id(udi)
    with pytest.raises(RuntimeError):
        async with udi.state.system.sessionmaker.begin() as db:
            await approve_registration(db, registration.id, 1, reviewer)
            raise RuntimeError("the transaction fails after the decision")
    assert (await registration_of(udi, submitted)).state is RegistrationState.pending
    assert await notifications(udi) == []


@pytest.mark.parametrize("second", ["approve", "reject"])
async def test_two_reviewers_at_once_exactly_one_wins(udi, submitted, second):
    registration, reviewer = await registration_of(udi, submitted), await staff_id(udi)

    async def decide(kind: str) -> str:
        try:
            if kind == "approve":
                await run(udi, approve_registration, registration.id, 1, reviewer)
            else:
                await run(udi, reject_registration, registration.id, 1, reviewer, "资料不全")
        except Refusal:
            return "refused"
        return kind

    results = await asyncio.gather(decide("approve"), decide(second), decide("approve"), decide(second))
    assert sorted(results).count("refused") == 3
    (winner,) = [r for r in results if r != "refused"]
    state = (await registration_of(udi, submitted)).state
    assert state is (RegistrationState.approved if winner == "approve" else RegistrationState.rejected)
    assert len(await notifications(udi)) == 1

