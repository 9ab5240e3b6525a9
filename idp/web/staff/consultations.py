"""咨询受理 (help desk) at /staff/consultations, for members with the HELPDESK role: the queue of
open questions (earliest deadline first, so the overdue ones lead), a question's page, and its
three actions — answer, close, reassign to another help-desk member.

The transitions are idp.consultations'; each is one conditional UPDATE, so of two members
answering at once one wins and the other sees the catalogue's message on the question's page
(409). Every action is audited there as ``staff:<username>``. The answer's SMS and e-mail go
after commit (idp.consultations.notices).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from idp import clock
from idp.consultations import transitions
from idp.consultations.models import PORTAL, Consultation
from idp.consultations.notices import queue_answer_notice, send_answer_notice
from idp.consultations.queries import get_consultation, open_queue
from idp.consultations.questions import ACCOUNT_TYPES, CATEGORIES, PORTAL_NAME
from idp.consultations.working_days import last_day
from idp.errors import DomainError
from idp.staff.accounts import list_staff
from idp.staff.roles import HELPDESK
from idp.web.kit import client_ip, portal_of
from idp.web.staff import CONSULTATIONS
from idp.web.staff.kit import StaffMember, render_staff_page, staff_form_with, staff_with
from shared.messages import text
from shared.path_ids import ROW_ID

router = APIRouter()
Helpdesk = Annotated[StaffMember, Depends(staff_with(HELPDESK))]
HelpdeskForm = Annotated[tuple[StaffMember, FormData], Depends(staff_form_with(HELPDESK))]
QUESTION = CONSULTATIONS + "/{consultation_id:" + ROW_ID + "}"
NOTICES = {"answered": "consultation.staff_answered", "closed": "consultation.staff_closed",
           "reassigned": "consultation.staff_reassigned"}


async def system_name(request: Request, system: str) -> str:
    if system == PORTAL:
        return PORTAL_NAME
    client = await portal_of(request).client(system)
    return client.display_name if client else system


async def queue_row(request: Request, row: Consultation) -> dict[str, Any]:
    return {"id": row.id, "reference": row.reference, "title": row.title, "name": row.name,
            "category": CATEGORIES.get(row.category, row.category), "system": await system_name(request, row.system),
            "submitted": clock.beijing_text(row.submitted_at), "due": last_day(row.due_at).isoformat(),
            "overdue": row.due_at <= clock.now(), "assignee": row.assignee}


@router.get(CONSULTATIONS)
async def queue_page(request: Request, member: Helpdesk, mine: str = "", done: str = "", ref: str = "") -> Response:
    async with portal_of(request).reader() as db:
        rows = await open_queue(db, assignee=member.username if mine else None)
    notice = text(NOTICES[done], reference=ref[:20]) if done in NOTICES and ref.isalnum() else None
    return render_staff_page(request, "staff/consultations/queue.html", member,
                             rows=[await queue_row(request, row) for row in rows], mine=bool(mine), notice=notice)


async def helpdesk_members(db: AsyncSession) -> list[tuple[str, str]]:
    """(username, name) of every enabled member with the help desk's role: whom to reassign to."""
    return [(account.username, account.name) for account, roles in await list_staff(db)
            if HELPDESK in roles and account.disabled_at is None]


async def question_page(request: Request, member: StaffMember, consultation_id: int, *,
                        refusal: DomainError | None = None, draft: str = "") -> Response:
    async with portal_of(request).reader() as db:
        row = await get_consultation(db, consultation_id)
        members = await helpdesk_members(db)
    if row is None:
        raise DomainError("consultation.not_found", status_code=404)
    question = {**await queue_row(request, row), "description": row.description, "status": row.status,
                "account_type": ACCOUNT_TYPES.get(row.account_type, row.account_type), "id_type": row.id_type,
                "id_number": row.id_number, "mobile": row.mobile, "email": row.email,
                "logged_in": row.account_id is not None, "answer": row.answer, "answered_by": row.answered_by,
                "answered": clock.beijing_text(row.answered_at) if row.answered_at else None,
                "closed": clock.beijing_text(row.closed_at) if row.closed_at else None}
    return render_staff_page(request, "staff/consultations/question.html", member,
                             status_code=refusal.status_code if refusal else 200, q=question,
                             error=refusal.text() if refusal else None, draft=draft,
                             members=[m for m in members if m[0] != row.assignee])


@router.get(QUESTION)
async def show_question(request: Request, member: Helpdesk, consultation_id: int) -> Response:
    return await question_page(request, member, consultation_id)


Action = Callable[[AsyncSession, StaffMember, FormData], Awaitable[Consultation]]


async def act(request: Request, member: StaffMember, form: FormData, consultation_id: int, done: str,
              action: Action) -> Response:
    """Run one action in a transaction; a refusal comes back on the question's page (what was
    typed kept), success goes back to the queue with its notice."""
    portal = portal_of(request)
    try:
        async with portal.sessionmaker.begin() as db:
            row = await action(db, member, form)
            notice = queue_answer_notice(db, row) if done == "answered" else None
    except DomainError as refusal:
        draft = form.get("answer")
        return await question_page(request, member, consultation_id, refusal=refusal,
                                   draft=draft if isinstance(draft, str) else "")
    if notice is not None:
        await send_answer_notice(portal, notice)
    return RedirectResponse(f"{CONSULTATIONS}?{urlencode({'done': done, 'ref': row.reference})}", status_code=303)


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post(QUESTION + "/answer")
async def answer(request: Request, posted: HelpdeskForm, consultation_id: int) -> Response:
    member, form = posted

    async def step(db: AsyncSession, member: StaffMember, form: FormData) -> Consultation:
        return await transitions.answer_consultation(db, consultation_id, staff=member.username,
                                                     text=field(form, "answer"), source_ip=client_ip(request))
    return await act(request, member, form, consultation_id, "answered", step)


@router.post(QUESTION + "/close")
async def close(request: Request, posted: HelpdeskForm, consultation_id: int) -> Response:
    member, form = posted

    async def step(db: AsyncSession, member: StaffMember, form: FormData) -> Consultation:
        return await transitions.close_consultation(db, consultation_id, staff=member.username,
                                                    source_ip=client_ip(request))
    return await act(request, member, form, consultation_id, "closed", step)


@router.post(QUESTION + "/reassign")
async def reassign(request: Request, posted: HelpdeskForm, consultation_id: int) -> Response:
    member, form = posted

    async def step(db: AsyncSession, member: StaffMember, form: FormData) -> Consultation:
        to = field(form, "to").strip().lower()
        if to and to not in {username for username, _ in await helpdesk_members(db)}:
            raise DomainError("consultation.assignee_unknown")
        return await transitions.reassign_consultation(db, consultation_id, staff=member.username, to=to,
                                                       source_ip=client_ip(request))
    return await act(request, member, form, consultation_id, "reassigned", step)
