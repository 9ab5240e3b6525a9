"""The provincial administrators (省局管理员) of the licensed-pharmacist system: their own
accounts (argon2id), their login page (username, password, graphic captcha, as the system's own
login) and sessions behind a cookie of their own; a pharmacist's login never opens their pages.
Their pages are admin_pages.py."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from starlette.responses import RedirectResponse, Response

from mock_systems.common.captcha_store import consume_captcha, issue_captcha
from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.profile import DEMO_LOCAL_PASSWORD
from mock_systems.common.security import constant_time_equal, digest, new_token
from mock_systems.common.sessions import ensure_session, load_session, set_cookie
from mock_systems.pharmacist.models import Administrator, AdminSession
from mock_systems.pharmacist.pages import render
from shared.messages import text

router = APIRouter()
LOGIN = "/staff/login"
HOME = "/staff/register"
DEMO_ADMIN = ("pharmacist_admin", "省局管理员周九")


def admin_cookie(system: SystemContext) -> str:
    name = system.profile.cookie_prefix + "_admin_session"
    return "__Host-" + name if system.settings.secure_cookies else name


async def create_admin(system: SystemContext, username: str, password: str, display_name: str) -> bool:
    """An administrator unless one of that name exists (two instances seeding at once: one wins)."""
    username = username.strip().lower()
    password_hash = await system.passwords.hash(password)
    try:
        async with system.sessionmaker.begin() as db:
            if await db.scalar(select(Administrator.id).where(Administrator.username == username)) is not None:
                return False
            db.add(Administrator(username=username, password_hash=password_hash, display_name=display_name,
                                 created_at=utcnow()))
    except IntegrityError:
        return False
    return True


async def seed_demo_admin(app, system: SystemContext) -> None:
    if system.settings.seed_demo_accounts:
        await create_admin(system, DEMO_ADMIN[0], DEMO_LOCAL_PASSWORD, DEMO_ADMIN[1])


async def current_admin(request: Request) -> tuple[AdminSession, Administrator] | None:
    system: SystemContext = request.app.state.system
    token = request.cookies.get(admin_cookie(system))
    if not token:
        return None
    async with system.sessionmaker() as db:
        row = (await db.execute(select(AdminSession, Administrator).join(
            Administrator, Administrator.id == AdminSession.admin_id).where(
            AdminSession.id_digest == digest(token), AdminSession.ended_at.is_(None),
            AdminSession.expires_at > utcnow()))).first()
    return (row[0], row[1]) if row else None


async def _login_form(request: Request, system: SystemContext, *, username: str = "", error: str | None = None,
                      status_code: int = 200) -> Response:
    async with system.sessionmaker.begin() as db:  # the anonymous session carries the form's CSRF secret
        session, new_cookie = await ensure_session(db, system, request)
        captcha_id = await issue_captcha(db, system.settings)
    response = render(system, "admin_login.html", status_code, csrf_token=session.csrf_secret, username=username,
                      captcha_id=captcha_id, error=error)
    if new_cookie:
        set_cookie(response, system, new_cookie)
    return response


@router.get(LOGIN)
async def login_page(request: Request) -> Response:
    if await current_admin(request) is not None:
        return RedirectResponse(HOME, status_code=303)
    return await _login_form(request, request.app.state.system)


@router.post(LOGIN)
async def log_in(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    form = await request.form()
    username = str(form.get("username", ""))[:64].strip().lower()
    async with system.sessionmaker.begin() as db:
        session = await load_session(db, system, request)
        forged = session is None or not constant_time_equal(str(form.get("csrf_token", "")), session.csrf_secret)
        if not forged:  # the captcha first, consumed either way
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
        admin = await db.scalar(select(Administrator).where(Administrator.username == username))
    ok = await system.passwords.verify(admin.password_hash if admin else None, password)
    if admin is None or not ok:
        return await _login_form(request, system, username=username, error=text("system.local.wrong_credentials"),
                                 status_code=400)
    token, now = new_token(), utcnow()
    async with system.sessionmaker.begin() as db:
        await db.execute(delete(AdminSession).where(AdminSession.expires_at < now))
        db.add(AdminSession(id_digest=digest(token), admin_id=admin.id, csrf_secret=new_token(), created_at=now,
                            expires_at=now + dt.timedelta(seconds=system.settings.session_absolute_seconds)))
    response = RedirectResponse(HOME, status_code=303)
    response.set_cookie(admin_cookie(system), token, path="/", httponly=True, samesite="lax",
                        secure=system.settings.secure_cookies)
    return response


@router.post("/staff/logout")
async def log_out(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    current = await current_admin(request)
    form = await request.form()
    if current is not None and constant_time_equal(str(form.get("csrf_token", "")), current[0].csrf_secret):
        async with system.sessionmaker.begin() as db:
            await db.execute(update(AdminSession).where(AdminSession.id_digest == current[0].id_digest)
                             .values(ended_at=utcnow()))
    response = RedirectResponse(LOGIN, status_code=303)
    response.delete_cookie(admin_cookie(system), path="/", httponly=True, samesite="lax",
                           secure=system.settings.secure_cookies)
    return response
