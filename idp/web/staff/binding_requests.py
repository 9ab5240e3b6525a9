"""绑定管理 at /staff/bindings (role BINDINGS): the open 解除绑定 requests, and a request's page
(binding_request_view) where the binding administrator finds the account it names, undoes the
chosen binding with the force-unbind (idp.bindings.staff: both sides, through the outbox; the
reason and the request's reference in the audit log; the user's 我的消息 told), deactivates a
duplicate 二级 account (idp.casework.duplicates), and answers or closes the request
(idp.consultations.transitions). Every action is audited as ``staff:<username>``; each is one
conditional UPDATE, so of two staff at once one does it and the other is told."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from idp.bindings.staff import force_unbind_binding
from idp.casework.duplicates import deactivate_duplicate_account
from idp.consultations import transitions as consultations
from idp.consultations.models import CLOSED, Consultation
from idp.consultations.notices import queue_answer_notice, send_answer_notice
from idp.consultations.queries import get_consultation, open_unbind_requests
from idp.consultations.questions import UNBINDING
from idp.errors import DomainError, PageError
from idp.staff.roles import BINDINGS
from idp.web.kit import client_ip, portal_of
from idp.web.staff import BINDING_REQUESTS
from idp.web.staff.binding_request_view import account_part, request_shown, system_name
from idp.web.staff.kit import StaffMember, render_staff_page, staff_form_with, staff_with
from shared.messages import text
from shared.path_ids import ROW_ID, parse_id

router = APIRouter()
Administrator = Annotated[StaffMember, Depends(staff_with(BINDINGS))]
AdministratorForm = Annotated[tuple[StaffMember, FormData], Depends(staff_form_with(BINDINGS))]
REQUEST = BINDING_REQUESTS + "/{request_id:" + ROW_ID + "}"
NOTICES = {"unbound": "bindings_admin.unbound", "unbinding": "bindings_admin.unbinding",
           "deactivated": "bindings_admin.deactivated", "answered": "bindings_admin.answered",
           "closed": "bindings_admin.closed"}


@router.get(BINDING_REQUESTS)
async def request_list(request: Request, member: Administrator) -> Response:
    portal = portal_of(request)
    async with portal.reader() as db:
        rows = await open_unbind_requests(db)
    shown = [await request_shown(portal, row) for row in rows]
    return render_staff_page(request, "staff/binding_requests.html", member, requests=shown)


async def unbind_request(request: Request, request_id: int) -> Consultation:
    """The 解除绑定 request; any other question is not this page's (404)."""
    async with portal_of(request).reader() as db:
        row = await get_consultation(db, request_id)
    if row is None or row.category != UNBINDING:
        raise PageError("bindings_admin.request_not_found", status_code=404)
    return row


async def request_page(request: Request, member: StaffMember, row: Consultation, *, account: int | None,
                       words: str = "", notice: str | None = None, error: str | None = None,
                       status_code: int = 200) -> Response:
    portal = portal_of(request)
    async with portal.reader() as db:
        part = await account_part(db, row, account, words)
    return render_staff_page(request, "staff/binding_request.html", member, status_code=status_code,
                             request_row=await request_shown(portal, row), words=words, notice=notice, error=error,
                             reason=text("bindings_admin.default_reason", reference=row.reference,
                                         system=await system_name(portal, row.system)), **part)


@router.get(REQUEST)
async def request_detail(request: Request, request_id: int, member: Administrator, account: str = "",
                         q: str = "", done: str = "") -> Response:
    row = await unbind_request(request, request_id)
    notice = text(NOTICES[done]) if done in NOTICES else None
    return await request_page(request, member, row, account=parse_id(account), words=q[:64].strip(), notice=notice)


def back(row: Consultation, account: int | None, done: str) -> RedirectResponse:
    query = {"account": account, "done": done} if account else {"done": done}
    return RedirectResponse(f"{BINDING_REQUESTS}/{row.id}?{urlencode(query)}", status_code=303)


def field(form: FormData, name: str, limit: int) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def still_actionable(row: Consultation) -> None:
    if row.status == CLOSED:
        raise DomainError("consultation.not_open", status_code=409)


@router.post(REQUEST + "/unbind")
async def unbind(request: Request, request_id: int, posted: AdministratorForm) -> Response:
    """解除绑定 of the chosen binding, with the reason, on this request."""
    member, form = posted
    row = await unbind_request(request, request_id)
    account = parse_id(form.get("account"))
    binding_id = field(form, "binding", 64)
    try:
        still_actionable(row)
        state = await force_unbind_binding(portal_of(request), binding_id, staff=member.username,
                                           reason=field(form, "reason", 1000), request=row.reference)
    except DomainError as exc:
        return await request_page(request, member, row, account=account, error=exc.text(),
                                  status_code=exc.status_code)
    return back(row, account, "unbound" if state == "ended" else "unbinding")


@router.post(REQUEST + "/deactivate")
async def deactivate(request: Request, request_id: int, posted: AdministratorForm) -> Response:
    """注销 the duplicate 二级 account shown on this request's page."""
    member, form = posted
    row = await unbind_request(request, request_id)
    account = parse_id(form.get("account"))
    try:
        still_actionable(row)
        if account is None:
            raise DomainError("bindings_admin.account_not_found", status_code=404)
        await deactivate_duplicate_account(portal_of(request), account, staff=member.username,
                                           request=row.reference, source_ip=client_ip(request))
    except DomainError as exc:
        return await request_page(request, member, row, account=account, error=exc.text(),
                                  status_code=exc.status_code)
    return back(row, account, "deactivated")


@router.post(REQUEST + "/answer")
async def answer(request: Request, request_id: int, posted: AdministratorForm) -> Response:
    """回复 the request (the asker is told by SMS, e-mail and, when filed logged in, 我的消息)."""
    member, form = posted
    row = await unbind_request(request, request_id)
    account = parse_id(form.get("account"))
    portal = portal_of(request)
    try:
        async with portal.sessionmaker.begin() as db:
            answered = await consultations.answer_consultation(db, row.id, staff=member.username,
                                                               text=field(form, "answer", 4000),
                                                               source_ip=client_ip(request))
            notice = queue_answer_notice(db, answered)
    except DomainError as exc:
        return await request_page(request, member, row, account=account, error=exc.text(),
                                  status_code=exc.status_code)
    await send_answer_notice(portal, notice)
    return back(row, account, "answered")


@router.post(REQUEST + "/close")
async def close(request: Request, request_id: int, posted: AdministratorForm) -> Response:
    member, form = posted
    row = await unbind_request(request, request_id)
    account = parse_id(form.get("account"))
    try:
        async with portal_of(request).sessionmaker.begin() as db:
            await consultations.close_consultation(db, row.id, staff=member.username, source_ip=client_ip(request))
    except DomainError as exc:
        return await request_page(request, member, row, account=account, error=exc.text(),
                                  status_code=exc.status_code)
    return back(row, account, "closed")
