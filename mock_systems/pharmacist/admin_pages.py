"""The provincial administrator's pages: the register (/staff/register), where a record's
15-digit ID number is upgraded to 18 digits once verified (seed 004, 七（二）), and the
执业药师注册申请 待审核 (/staff/applications): 审核通过 (已注册) or 退回 with a reason. Only an
administrator logged in at /staff/login gets here; every change is a transition (register.py,
applications.py) that checks what the page showed."""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from mock_systems.common.context import SystemContext
from mock_systems.common.models import LocalAccount
from mock_systems.common.security import constant_time_equal
from mock_systems.pharmacist.admins import HOME as REGISTER, LOGIN, current_admin
from mock_systems.pharmacist.applications import approve_application, return_application
from mock_systems.pharmacist.models import Application, ApplicationState, QualificationRecord
from mock_systems.pharmacist.pages import render
from mock_systems.pharmacist.register import canonical, is_fifteen, upgrade_id_number
from shared.messages import text
from shared.path_ids import ROW_ID, parse_id
from shared.refusals import Refusal

router = APIRouter()
APPLICATIONS = "/staff/applications"
DONE = {"approved": "pharmacist.application_approved", "returned": "pharmacist.application_returned"}


async def _register_page(request: Request, system: SystemContext, admin_session, admin, *,
                         notice: str | None = None, error: str | None = None, status_code: int = 200) -> Response:
    async with system.sessionmaker() as db:
        records = (await db.scalars(select(QualificationRecord).order_by(QualificationRecord.id))).all()
    return render(system, "admin_register.html", status_code, admin=admin, csrf_token=admin_session.csrf_secret,
                  records=records, is_fifteen=is_fifteen, canonical=canonical, notice=notice, error=error,
                  home_links=())


async def _applications_page(request: Request, system: SystemContext, admin_session, admin, *,
                             notice: str | None = None, error: str | None = None,
                             status_code: int = 200) -> Response:
    async with system.sessionmaker() as db:
        pending = (await db.execute(select(Application, QualificationRecord, LocalAccount)
                                    .join(QualificationRecord, QualificationRecord.id == Application.record_id)
                                    .join(LocalAccount, LocalAccount.id == Application.account_id)
                                    .where(Application.state == ApplicationState.pending)
                                    .order_by(Application.submitted_at))).all()
    return render(system, "admin_applications.html", status_code, admin=admin, csrf_token=admin_session.csrf_secret,
                  pending=pending, notice=notice, error=error, home_links=())


@router.get(REGISTER)
async def register_page(request: Request) -> Response:
    current = await current_admin(request)
    if current is None:
        return RedirectResponse(LOGIN, status_code=303)
    return await _register_page(request, request.app.state.system, *current)


@router.post(REGISTER + "/{record_id:" + ROW_ID + "}/upgrade")
async def upgrade(request: Request, record_id: int) -> Response:
    system: SystemContext = request.app.state.system
    current = await current_admin(request)
    if current is None:
        return RedirectResponse(LOGIN, status_code=303)
    form = await request.form()
    if not constant_time_equal(str(form.get("csrf_token", "")), current[0].csrf_secret):
        return await _register_page(request, system, *current, error=text("page.expired"), status_code=403)
    try:
        async with system.sessionmaker.begin() as db:
            new = await upgrade_id_number(db, record_id, str(form.get("old", ""))[:18],
                                          str(form.get("id_number", ""))[:32], by=current[1].username)
    except Refusal as exc:
        return await _register_page(request, system, *current, error=exc.text(), status_code=exc.status_code)
    return await _register_page(request, system, *current, notice=text("pharmacist.upgrade_done", id_number=new))


@router.get(APPLICATIONS)
async def applications_page(request: Request) -> Response:
    current = await current_admin(request)
    if current is None:
        return RedirectResponse(LOGIN, status_code=303)
    done = DONE.get(request.query_params.get("done", ""))
    return await _applications_page(request, request.app.state.system, *current, notice=text(done) if done else None)


@router.post(APPLICATIONS + "/{application_id:" + ROW_ID + "}/{decision}")
async def decide(request: Request, application_id: int, decision: str) -> Response:
    system: SystemContext = request.app.state.system
    current = await current_admin(request)
    if current is None:
        return RedirectResponse(LOGIN, status_code=303)
    form = await request.form()
    if not constant_time_equal(str(form.get("csrf_token", "")), current[0].csrf_secret):
        return await _applications_page(request, system, *current, error=text("page.expired"), status_code=403)
    revision = parse_id(form.get("revision"))
    if decision not in ("approve", "return") or revision is None:
        return await _applications_page(request, system, *current, error=text("pharmacist.application_stale"),
                                        status_code=404 if revision is not None else 400)
    try:
        async with system.sessionmaker.begin() as db:
            if decision == "approve":
                await approve_application(db, application_id, revision, by=current[1].username)
            else:
                await return_application(db, application_id, revision, by=current[1].username,
                                         reason=str(form.get("reason", ""))[:1000])
    except Refusal as exc:
        return await _applications_page(request, system, *current, error=exc.text(), status_code=exc.status_code)
    done = "approved" if decision == "approve" else "returned"
    return RedirectResponse(f"{APPLICATIONS}?done={done}", status_code=303)
