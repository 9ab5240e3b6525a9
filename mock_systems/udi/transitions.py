"""The review of an account created by binding, one function per transition:

    (none) --submit_registration--> pending (待审核)
    pending --approve_registration--> approved (审核通过)
    pending --reject_registration--> rejected (审核不通过)
    rejected --resubmit_registration--> pending

Each checks the current state in its UPDATE's WHERE (or, for the first submission, the unique
account id), so of two reviewers deciding at once exactly one wins, and a user cannot change
details under review. A decision writes its notification in the same transaction
(notifications.enqueue_result): committed together, or not at all.
"""
from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.db import utcnow
from mock_systems.udi.forms import OrganisationDetails
from mock_systems.udi.models import Registration, RegistrationState
from mock_systems.udi.notifications import enqueue_result
from shared.refusals import Refusal

MAX_REASON = 500


async def submit_registration(db: AsyncSession, account_id: int, details: OrganisationDetails) -> Registration:
    """The first submission: a new registration, 待审核. A second one for the account (another
    tab, a double click) fails on the unique account id."""
    registration = Registration(account_id=account_id, state=RegistrationState.pending, submission=1,
                                submitted_at=utcnow(), **details.values())
    try:
        async with db.begin_nested():
            db.add(registration)
            await db.flush()
    except IntegrityError as exc:
        raise Refusal("udi.already_submitted", status_code=409) from exc
    return registration


async def resubmit_registration(db: AsyncSession, account_id: int, details: OrganisationDetails) -> None:
    """审核不通过 → 待审核 with corrected details; refused while pending (or once approved)."""
    result = await db.execute(
        update(Registration).where(Registration.account_id == account_id,
                                   Registration.state == RegistrationState.rejected)
        .values(state=RegistrationState.pending, submission=Registration.submission + 1, submitted_at=utcnow(),
                reviewed_at=None, reviewer_id=None, reject_reason=None, **details.values()))
    if cast(CursorResult, result).rowcount != 1:
        raise Refusal("udi.already_submitted", status_code=409)


async def approve_registration(db: AsyncSession, registration_id: int, submission: int, reviewer_id: int) -> None:
    """待审核 → 审核通过, for the submission the reviewer read; the notification with it."""
    await _decide(db, registration_id, submission, reviewer_id, RegistrationState.approved, None)


async def reject_registration(db: AsyncSession, registration_id: int, submission: int, reviewer_id: int,
                              reason: str) -> None:
    """待审核 → 审核不通过 with the reason the user will read; a reason is required."""
    reason = (reason or "").strip()
    if not reason or not reason.isprintable():
        raise Refusal("udi.reason_required")
    if len(reason) > MAX_REASON:
        raise Refusal("udi.reason_too_long")
    await _decide(db, registration_id, submission, reviewer_id, RegistrationState.rejected, reason)


async def _decide(db: AsyncSession, registration_id: int, submission: int, reviewer_id: int,
                  outcome: RegistrationState, reason: str | None) -> None:
    result = await db.execute(
        update(Registration).where(Registration.id == registration_id, Registration.submission == submission,
                                   Registration.state == RegistrationState.pending)
        .values(state=outcome, reviewed_at=utcnow(), reviewer_id=reviewer_id, reject_reason=reason))
    if cast(CursorResult, result).rowcount != 1:  # another reviewer decided first, or the user resubmitted since
        raise Refusal("udi.already_reviewed", status_code=409)
    await enqueue_result(db, await db.get_one(Registration, registration_id, populate_existing=True))
