"""The staff review page (/staff/reviews): the submissions 待审核, oldest first; approve one, or
reject it with a reason. Only a reviewer logged in at /staff/login gets here, and every decision
is a transition (transitions.py) followed by the delivery of its notification."""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from mock_systems.common.context import SystemContext
from mock_systems.common.models import LocalAccount
from mock_systems.common.security import constant_time_equal
from mock_systems.udi.models import Registration, RegistrationState
from mock_systems.udi.notifications import deliver_due, deliver_portal_notices
from mock_systems.udi.pages import render
from mock_systems.udi.staff_accounts import LOGIN, current_staff
from mock_systems.udi.transitions import approve_registration, reject_registration
from shared.messages import text
from shared.path_ids import ROW_ID, parse_id
from shared.refusals import Refusal

router = APIRouter()
REVIEWS = "/staff/reviews"


async def _page(request: Request, system: SystemContext, staff_session, staff, *, notice: str | None = None,
                error: str | None = None, status_code: int = 200) -> Response:
    async with system.sessionmaker() as db:
        pending = (await db.execute(select(Registration, LocalAccount).join(
            LocalAccount, LocalAccount.id == Registration.account_id)
            .where(Registration.state == RegistrationState.pending).order_by(Registration.submitted_at))).all()
    return render(system, "staff_reviews.html", status_code, staff=staff, csrf_token=staff_session.csrf_secret,
                  pending=pending, notice=notice, error=error)


@router.get(REVIEWS)
async def reviews_page(request: Request) -> Response:
    current = await current_staff(request)
    if current is None:
        return RedirectResponse(LOGIN, status_code=303)
    notice = {"approved": text("udi.review_approved"), "rejected": text("udi.review_rejected")}.get(
        request.query_params.get("done", ""))
    return await _page(request, request.app.state.system, *current, notice=notice)


@router.post(REVIEWS + "/{registration_id:" + ROW_ID + "}/{decision}")
async def decide(request: Request, registration_id: int, decision: str) -> Response:
    system: SystemContext = request.app.state.system
    current = await current_staff(request)
    if current is None:
        return RedirectResponse(LOGIN, status_code=303)
    staff_session, staff = current
    form = await request.form()
    if not constant_time_equal(str(form.get("csrf_token", "")), staff_session.csrf_secret):
        return await _page(request, system, *current, error=text("page.expired"), status_code=403)
    if decision not in ("approve", "reject"):
        return await _page(request, system, *current, error=text("udi.already_reviewed"), status_code=404)
    submission = parse_id(form.get("submission"))  # bounded: an integer column (shared.path_ids)
    if submission is None:
        return await _page(request, system, *current, error=text("udi.already_reviewed"), status_code=400)
    try:
        async with system.sessionmaker.begin() as db:
            if decision == "approve":
                await approve_registration(db, registration_id, submission, staff.id)
            else:
                await reject_registration(db, registration_id, submission, staff.id,
                                          str(form.get("reason", ""))[:1000])
    except Refusal as exc:
        return await _page(request, system, *current, error=exc.text(), status_code=exc.status_code)
    await deliver_due(system)  # the loop retries whatever these do not send
    await deliver_portal_notices(system)
    done = "approved" if decision == "approve" else "rejected"
    return RedirectResponse(f"{REVIEWS}?done={done}", status_code=303)
