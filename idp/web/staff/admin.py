"""管理员: staff accounts and roles at /staff/admin — the list, a new member (username, name,
initial password, roles), disable and enable, the roles of a member, and a TOTP reset (a lost
authenticator). The transitions are idp.staff.accounts'; every change is audited with the
administrator as ``staff:<username>``. An administrator cannot disable itself or give up its
own 管理员 role (a coded refusal)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from idp import clock
from idp.errors import DomainError
from idp.staff.accounts import (
    create_staff,
    disable_staff,
    enable_staff,
    get_staff,
    list_staff,
    reset_totp,
    set_roles,
    staff_actor,
)
from idp.staff.roles import ADMIN, ROLES
from idp.web.kit import portal_of
from idp.web.staff import STAFF_ADMIN
from idp.web.staff.kit import StaffMember, render_staff_page, staff_form_with, staff_with
from shared.messages import text
from shared.path_ids import ROW_ID

router = APIRouter()
Admin = Annotated[StaffMember, Depends(staff_with(ADMIN))]
AdminForm = Annotated[tuple[StaffMember, FormData], Depends(staff_form_with(ADMIN))]
MEMBER = STAFF_ADMIN + "/{staff_id:" + ROW_ID + "}"
NOTICES = {"created": "staff.created", "disabled": "staff.disabled", "enabled": "staff.enabled",
           "roles": "staff.roles_changed", "totp": "staff.totp_reset"}


async def admin_page(request: Request, member: StaffMember, *, status_code: int = 200, error: str | None = None,
                     notice: str | None = None, draft: dict | None = None) -> Response:
    async with portal_of(request).reader() as db:
        rows = await list_staff(db)
    staff = [{"id": account.id, "username": account.username, "name": account.name, "roles": roles,
              "enrolled": account.totp_enrolled_at is not None, "disabled": account.disabled_at is not None,
              "locked": account.locked_until is not None and account.locked_until > clock.now(),
              "is_self": account.id == member.id} for account, roles in rows]
    return render_staff_page(request, "staff/admin.html", member, status_code=status_code, staff=staff,
                             roles=ROLES, error=error, notice=notice, draft=draft or {})


@router.get(STAFF_ADMIN)
async def staff_list(request: Request, member: Admin, done: str = "", who: str = "") -> Response:
    notice = text(NOTICES[done], username=who[:64]) if done in NOTICES else None
    return await admin_page(request, member, notice=notice)


def done(kind: str, username: str) -> RedirectResponse:
    return RedirectResponse(f"{STAFF_ADMIN}?{urlencode({'done': kind, 'who': username})}", status_code=303)


def chosen_roles(form: FormData) -> list[str]:
    return [value for value in form.getlist("role") if isinstance(value, str)]


def field(form: FormData, name: str, limit: int) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


@router.post(STAFF_ADMIN + "/create")
async def create(request: Request, posted: AdminForm) -> Response:
    member, form = posted
    portal = portal_of(request)
    username, name, roles = field(form, "username", 64), field(form, "name", 100), chosen_roles(form)
    draft = {"username": username, "name": name, "roles": roles}
    try:
        async with portal.sessionmaker.begin() as db:
            account = await create_staff(db, portal.passwords, username=username, name=name,
                                         password=field(form, "password", 64), roles=roles,
                                         by=staff_actor(member.id, member.username))
            username = account.username
    except DomainError as exc:
        return await admin_page(request, member, status_code=exc.status_code, error=exc.text(), draft=draft)
    return done("created", username)


Change = Callable[[AsyncSession, int, StaffMember, FormData], Awaitable[str]]


async def change(request: Request, member: StaffMember, form: FormData, staff_id: int, kind: str,
                 work: Change) -> Response:
    """Run one change of a member's account; a refusal re-draws the list with its message."""
    try:
        async with portal_of(request).sessionmaker.begin() as db:
            username = await work(db, staff_id, member, form)
    except DomainError as exc:
        return await admin_page(request, member, status_code=exc.status_code, error=exc.text())
    return done(kind, username)


def transition(act: Callable[..., Awaitable[Any]]) -> Change:
    """A change that is one transition of the account, by the administrator (no form fields)."""
    async def work(db: AsyncSession, staff_id: int, member: StaffMember, _form: FormData) -> str:
        return (await act(db, staff_id, by=staff_actor(member.id, member.username))).username
    return work


@router.post(MEMBER + "/disable")
async def disable(request: Request, staff_id: int, posted: AdminForm) -> Response:
    return await change(request, *posted, staff_id, "disabled", transition(disable_staff))


@router.post(MEMBER + "/enable")
async def enable(request: Request, staff_id: int, posted: AdminForm) -> Response:
    return await change(request, *posted, staff_id, "enabled", transition(enable_staff))


@router.post(MEMBER + "/roles")
async def roles(request: Request, staff_id: int, posted: AdminForm) -> Response:
    async def work(db, staff_id, member, form):
        await set_roles(db, staff_id, chosen_roles(form), by=staff_actor(member.id, member.username))
        return (await get_staff(db, staff_id)).username
    return await change(request, *posted, staff_id, "roles", work)


@router.post(MEMBER + "/reset-totp")
async def totp_reset(request: Request, staff_id: int, posted: AdminForm) -> Response:
    return await change(request, *posted, staff_id, "totp", transition(reset_totp))
