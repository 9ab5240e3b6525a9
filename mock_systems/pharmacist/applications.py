"""执业药师注册申请 (首次注册) and its transitions: 待审核 ``pending`` → 已注册 ``registered`` or
退回 ``returned`` → (corrected and submitted again) ``pending``.

Each transition is a conditional UPDATE on (state, revision), or an INSERT that meets the unique
account id: of two at once exactly one wins, the other is told (409). A decision names the
revision the administrator read, so a resubmission in between is never decided unseen.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.db import utcnow
from mock_systems.pharmacist.models import Application, ApplicationState
from shared.refusals import Refusal

# 执业类别 and 执业范围, as the register's forms offer them.
PRACTICE_CATEGORIES = ("药学", "中药学", "药学与中药学")
PRACTICE_SCOPES = ("药品生产", "药品经营", "药品使用")
EMPLOYER_MAX = 100
REASON_MAX = 500


@dataclass(frozen=True)
class Details:
    employer: str  # 执业单位
    practice_category: str  # 执业类别
    practice_scope: str  # 执业范围


def read_details(form) -> tuple[Details, dict[str, tuple[str, dict[str, object]]]]:
    """The form's values, and the errors by field as (message id, values) (none: valid)."""
    values = Details(employer=str(form.get("employer", "")).strip()[:EMPLOYER_MAX + 1],
                     practice_category=str(form.get("practice_category", "")),
                     practice_scope=str(form.get("practice_scope", "")))
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    if not values.employer:
        errors["employer"] = ("pharmacist.field_required", {"field": "执业单位"})
    elif len(values.employer) > EMPLOYER_MAX or not values.employer.isprintable():
        errors["employer"] = ("pharmacist.field_too_long", {"field": "执业单位", "maximum": EMPLOYER_MAX})
    if values.practice_category not in PRACTICE_CATEGORIES:
        errors["practice_category"] = ("pharmacist.field_choice", {"field": "执业类别"})
    if values.practice_scope not in PRACTICE_SCOPES:
        errors["practice_scope"] = ("pharmacist.field_choice", {"field": "执业范围"})
    return values, errors


async def application_of(db: AsyncSession, account_id: int) -> Application | None:
    return await db.scalar(select(Application).where(Application.account_id == account_id))


async def _changed(db: AsyncSession, application_id: int, expected: ApplicationState, read: int,
                   **values) -> bool:
    """The UPDATE, if the application is still in the state and at the revision the caller read."""
    result = await db.execute(update(Application).where(
        Application.id == application_id, Application.state == expected, Application.revision == read)
        .values(**values))
    return cast(CursorResult, result).rowcount == 1


async def submit_application(db: AsyncSession, account_id: int, record_id: int, details: Details) -> None:
    """The first submission (→ 待审核), or a returned one corrected (退回 → 待审核, revision + 1)."""
    current = await application_of(db, account_id)
    if current is None:
        db.add(Application(account_id=account_id, record_id=record_id, state=ApplicationState.pending,
                           revision=1, submitted_at=utcnow(), **details.__dict__))
        try:
            await db.flush()
        except IntegrityError:  # a parallel first submission won (the caller's transaction rolls back)
            raise Refusal("pharmacist.application_pending", status_code=409) from None
        return
    if current.state is not ApplicationState.returned:
        raise Refusal("pharmacist.application_registered" if current.state is ApplicationState.registered
                      else "pharmacist.application_pending", status_code=409)
    if not await _changed(db, current.id, ApplicationState.returned, current.revision, state=ApplicationState.pending,
                          revision=current.revision + 1, submitted_at=utcnow(), decided_at=None, decided_by=None,
                          **details.__dict__):
        raise Refusal("pharmacist.application_pending", status_code=409)


async def approve_application(db: AsyncSession, application_id: int, revision: int, *, by: str) -> None:
    """审核通过: 待审核 → 已注册."""
    if not await _changed(db, application_id, ApplicationState.pending, revision, state=ApplicationState.registered,
                          decided_at=utcnow(), decided_by=by, return_reason=None):
        raise Refusal("pharmacist.application_stale", status_code=409)


async def return_application(db: AsyncSession, application_id: int, revision: int, *, by: str, reason: str) -> None:
    """退回 with the reason: 待审核 → 退回."""
    reason = reason.strip()
    if not reason:
        raise Refusal("pharmacist.reason_required")
    if len(reason) > REASON_MAX:
        raise Refusal("pharmacist.reason_too_long")
    if not await _changed(db, application_id, ApplicationState.pending, revision, state=ApplicationState.returned,
                          decided_at=utcnow(), decided_by=by, return_reason=reason):
        raise Refusal("pharmacist.application_stale", status_code=409)
