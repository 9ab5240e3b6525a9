"""The pharmacist's own pages after binding: the qualification record (执业药师资格) and
执业药师注册申请 (首次注册: 执业单位, 执业类别, 执业范围; 提交; 待审核 / 已注册 / 退回)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from mock_systems.common.context import SystemContext
from mock_systems.common.page_guard import forged, logged_in
from mock_systems.pharmacist.applications import (
    PRACTICE_CATEGORIES,
    PRACTICE_SCOPES,
    Details,
    application_of,
    read_details,
    submit_application,
)
from mock_systems.pharmacist.models import ApplicationState
from mock_systems.pharmacist.pages import refused, render
from mock_systems.pharmacist.register import record_of
from shared.messages import text
from shared.refusals import Refusal

router = APIRouter()
REGISTRATION = "/registration"


async def _page(request: Request, system: SystemContext, session, account, *, values: Details | None = None,
                errors: dict | None = None, notice: str | None = None, error: str | None = None,
                status_code: int = 200) -> Response:
    async with system.sessionmaker() as db:
        record = await record_of(db, account.id)
        application = await application_of(db, account.id)
    if record is None:  # an account without a qualification record cannot apply
        return refused(system, "pharmacist.no_qualification", 404)
    editable = application is None or application.state is ApplicationState.returned
    return render(system, "registration.html", status_code, account=account, record=record,
                  application=application, editable=editable, values=values or application,
                  errors={name: text(mid, **v) for name, (mid, v) in (errors or {}).items()},
                  categories=PRACTICE_CATEGORIES, scopes=PRACTICE_SCOPES, csrf_token=session.csrf_secret,
                  notice=notice, error=error)


@router.get(REGISTRATION)
async def registration_page(request: Request, submitted: str = "") -> Response:
    guard = await logged_in(request)
    if isinstance(guard, Response):
        return guard
    notice = text("pharmacist.application_submitted") if submitted == "1" else None
    return await _page(request, request.app.state.system, *guard, notice=notice)


@router.post(REGISTRATION)
async def submit(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    guard = await logged_in(request)
    if isinstance(guard, Response):
        return guard
    session, account = guard
    form = await request.form()
    if forged(session, form):
        return await _page(request, system, session, account, error=text("page.expired"), status_code=403)
    details, errors = read_details(form)
    if errors:
        return await _page(request, system, session, account, values=details, errors=errors, status_code=400)
    try:
        async with system.sessionmaker.begin() as db:
            record = await record_of(db, account.id)
            if record is None:
                raise Refusal("pharmacist.no_qualification", status_code=404)
            await submit_application(db, account.id, record.id, details)
    except Refusal as exc:
        return await _page(request, system, session, account, values=details, error=exc.text(),
                           status_code=exc.status_code)
    return RedirectResponse(REGISTRATION + "?submitted=1", status_code=303)
