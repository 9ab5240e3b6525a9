"""The provincial administrators' login page (username, password, graphic captcha, as the
system's own login page) and logout; the accounts and sessions are admins.py."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from sqlalchemy import delete, select, update
from starlette.responses import RedirectResponse, Response

from mock_systems.common.captcha_store import consume_captcha, issue_captcha
from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.security import constant_time_equal, digest, new_token
from mock_systems.common.sessions import ensure_session, load_session, set_cookie
from mock_systems.pharmacist.admins import HOME, LOGIN, admin_cookie, current_admin
from mock_systems.pharmacist.models import Administrator, AdminSession
from mock_systems.pharmacist.pages import render
from shared.messages import text

router = APIRouter()


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
