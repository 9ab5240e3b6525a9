"""The UDI system's review staff: their own accounts (argon2id, shared.hashing), sessions behind
a cookie of their own, and the staff login page (username, password, graphic captcha, as the
system's own login page). A user's login never opens the review pages,
and a reviewer's login is not a user's.
"""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from starlette.responses import RedirectResponse, Response

from mock_systems.common.captcha import consume_captcha, issue_captcha
from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from shared.messages import text
from mock_systems.common.profile import DEMO_LOCAL_PASSWORD
from mock_systems.common.security import constant_time_equal, digest, new_token
from mock_systems.common.sessions import ensure_session, load_session, set_cookie
from mock_systems.udi.models import StaffMember, StaffSession
from mock_systems.udi.pages import render

router = APIRouter()
LOGIN = "/staff/login"
DEMO_STAFF = ("udi_staff", "审核员孙八")


def staff_cookie(system: SystemContext) -> str:
    name = system.profile.cookie_prefix + "_staff_session"
    return "__Host-" + name if system.settings.secure_cookies else name


async def create_staff(system: SystemContext, username: str, password: str, display_name: str) -> bool:
    """A reviewer account unless one of that name exists (two instances seeding at once: one wins)."""
    username = username.strip().lower()
    password_hash = await system.passwords.hash(password)
    try:
        async with system.sessionmaker.begin() as db:
            if await db.scalar(select(StaffMember.id).where(StaffMember.username == username)) is not None:
                return False
            db.add(StaffMember(username=username, password_hash=password_hash, display_name=display_name,
                               created_at=utcnow()))
    except IntegrityError:
        return False
    return True


async def seed_demo_staff(app, system: SystemContext) -> None:
    """At start-up, with the demo accounts: the reviewer udi_staff / DEMO_LOCAL_PASSWORD."""
    if system.settings.seed_demo_accounts:
        await create_staff(system, DEMO_STAFF[0], DEMO_LOCAL_PASSWORD, DEMO_STAFF[1])


async def current_staff(request: Request) -> tuple[StaffSession, StaffMember] | None:
    system: SystemContext = request.app.state.system
    token = request.cookies.get(staff_cookie(system))
    if not token:
        return None
    async with system.sessionmaker() as db:
        row = (await db.execute(select(StaffSession, StaffMember).join(
            StaffMember, StaffMember.id == StaffSession.staff_id).where(
            StaffSession.id_digest == digest(token), StaffSession.ended_at.is_(None),
            StaffSession.expires_at > utcnow()))).first()
    return (row[0], row[1]) if row else None


async def _login_form(request: Request, system: SystemContext, *, username: str = "", error: str | None = None,
                      status_code: int = 200) -> Response:
    async with system.sessionmaker.begin() as db:  # the anonymous session carries the form's CSRF secret
        session, new_cookie = await ensure_session(db, system, request)
        captcha_id = await issue_captcha(db, system.settings)
    response = render(system, "staff_login.html", status_code, csrf_token=session.csrf_secret, username=username,
                      captcha_id=captcha_id, error=error)
    if new_cookie:
        set_cookie(response, system, new_cookie)
    return response


@router.get(LOGIN)
async def login_page(request: Request) -> Response:
    if await current_staff(request) is not None:
        return RedirectResponse("/staff/reviews", status_code=303)
    return await _login_form(request, request.app.state.system)


@router.post(LOGIN)
async def log_in(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    form = await request.form()
    username = str(form.get("username", ""))[:64].strip().lower()
    async with system.sessionmaker.begin() as db:
        session = await load_session(db, system, request)
        forged = session is None or not constant_time_equal(str(form.get("csrf_token", "")), session.csrf_secret)
        if not forged:  # as the local login: the captcha first, consumed either way
            refusal = await consume_captcha(db, str(form.get("captcha_id", "")), str(form.get("captcha", "")))
    if forged:
        return await _login_form(request, system, username=username, error=text("page.expired"), status_code=403)
    if refusal is not None:
        return await _login_form(request, system, username=username, error=text(refusal), status_code=400)
    password = str(form.get("password", ""))[:128]
    if not username or not password or not username.isprintable():
        return await _login_form(request, system, username=username, error=text("system.local.required"),
                                 status_code=400)
    async with system.sessionmaker() as db:
        staff = await db.scalar(select(StaffMember).where(StaffMember.username == username))
    ok = await system.passwords.verify(staff.password_hash if staff else None, password)
    if staff is None or not ok:
        return await _login_form(request, system, username=username, error=text("system.local.wrong_credentials"),
                                 status_code=400)
    token, now = new_token(), utcnow()
    async with system.sessionmaker.begin() as db:
        await db.execute(delete(StaffSession).where(StaffSession.expires_at < now))
        db.add(StaffSession(id_digest=digest(token), staff_id=staff.id, csrf_secret=new_token(), created_at=now,
                            expires_at=now + dt.timedelta(seconds=system.settings.session_absolute_seconds)))
    response = RedirectResponse("/staff/reviews", status_code=303)
    response.set_cookie(staff_cookie(system), token, path="/", httponly=True, samesite="lax",
                        secure=system.settings.secure_cookies)
    return response


@router.post("/staff/logout")
async def log_out(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    current = await current_staff(request)
    form = await request.form()
    if current is not None and constant_time_equal(str(form.get("csrf_token", "")), current[0].csrf_secret):
        async with system.sessionmaker.begin() as db:
            await db.execute(update(StaffSession).where(StaffSession.id_digest == current[0].id_digest)
                             .values(ended_at=utcnow()))
    response = RedirectResponse(LOGIN, status_code=303)
    response.delete_cookie(staff_cookie(system), path="/", httponly=True, samesite="lax",
                           secure=system.settings.secure_cookies)
    return response
