"""The provincial administrator's page (/staff/regulators): the regulator accounts of its
province, a form to open one (with the 出口药品档案信息采集模块查阅权限 for a jurisdiction, or
without), and granting, changing or withdrawing that permission. Only an administrator logged
in at /staff/login gets here; every change checks the form's CSRF secret."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from mock_systems.common.context import SystemContext
from mock_systems.common.security import constant_time_equal
from mock_systems.drug.admins import ADMINS, current_admin
from mock_systems.drug.pages import render
from mock_systems.drug.regulators import open_regulator, regulators_of_province, set_permission
from shared.messages import text
from shared.path_ids import ROW_ID
from shared.refusals import Refusal

router = APIRouter()
REGULATORS = ADMINS.home
DONE = {"opened": "drug.regulators.opened", "permission": "drug.regulators.permission_saved"}


async def regulators_page(system: SystemContext, admin_session, admin, *, form=None, error: str | None = None,
                          notice: str | None = None, status_code: int = 200) -> Response:
    async with system.sessionmaker() as db:
        rows = await regulators_of_province(db, admin.province)
    values = {k: str((form or {}).get(k, "")) for k in ("username", "name", "unit", "jurisdiction")}
    return render(system, "admin_regulators.html", status_code, admin=admin, csrf_token=admin_session.csrf_secret,
                  rows=rows, values=values, error=error, notice=notice)


@router.get(REGULATORS)
async def list_regulators(request: Request) -> Response:
    current = await current_admin(request)
    if current is None:
        return RedirectResponse(ADMINS.login, status_code=303)
    done = DONE.get(request.query_params.get("done", ""))
    return await regulators_page(request.app.state.system, *current, notice=text(done) if done else None)


async def checked_form(request: Request):
    """(session, admin, form) of a signed-in administrator's form with its CSRF secret, or the page to show."""
    current = await current_admin(request)
    if current is None:
        return RedirectResponse(ADMINS.login, status_code=303)
    form = await request.form()
    if not constant_time_equal(str(form.get("csrf_token", "")), current[0].csrf_secret):
        return await regulators_page(request.app.state.system, *current, error=text("page.expired"), status_code=403)
    return current[0], current[1], form


@router.post(REGULATORS)
async def open_account(request: Request) -> Response:
    checked = await checked_form(request)
    if isinstance(checked, Response):
        return checked
    admin_session, admin, form = checked
    system: SystemContext = request.app.state.system
    try:
        await open_regulator(system, admin, username=str(form.get("username", ""))[:64],
                             name=str(form.get("name", ""))[:100], unit=str(form.get("unit", ""))[:200],
                             password=str(form.get("password", ""))[:128],
                             jurisdiction=str(form.get("jurisdiction", ""))[:6] if form.get("grant") else None)
    except Refusal as exc:
        return await regulators_page(system, admin_session, admin, form=form, error=exc.text(), status_code=400)
    return RedirectResponse(f"{REGULATORS}?done=opened", status_code=303)


@router.post(REGULATORS + "/{account_id:" + ROW_ID + "}/permission")
async def permission(request: Request, account_id: int) -> Response:
    checked = await checked_form(request)
    if isinstance(checked, Response):
        return checked
    admin_session, admin, form = checked
    system: SystemContext = request.app.state.system
    try:
        found = await set_permission(system, admin, account_id, str(form.get("jurisdiction", ""))[:6])
    except Refusal as exc:
        return await regulators_page(system, admin_session, admin, error=exc.text(), status_code=400)
    if not found:
        return await regulators_page(system, admin_session, admin, error=text("drug.regulators.not_found"),
                                     status_code=404)
    return RedirectResponse(f"{REGULATORS}?done=permission", status_code=303)
