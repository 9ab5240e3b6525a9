"""The login page of a business system's own staff (username, password, graphic captcha, as the
system's own login page) and their logout, built for the system's ``SystemStaff``
(system_staff.py) and wired by the system's package.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import APIRouter, Request
from sqlalchemy import delete, select, update
from starlette.responses import HTMLResponse, RedirectResponse, Response

from mock_systems.common.captcha_store import consume_captcha, issue_captcha
from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.security import constant_time_equal, digest, new_token
from mock_systems.common.sessions import ensure_session, load_session, set_cookie
from mock_systems.common.system_staff import SystemStaff
from shared.messages import text

Render = Callable[..., HTMLResponse]  # the system's render(system, template, status_code, **context)


def staff_login_router(staff: SystemStaff, render: Render) -> APIRouter:
    router = APIRouter()

    async def login_form(request: Request, system: SystemContext, *, username: str = "",
                         error: str | None = None, status_code: int = 200) -> Response:
        async with system.sessionmaker.begin() as db:  # the anonymous session carries the form's CSRF secret
            session, new_cookie = await ensure_session(db, system, request)
            captcha_id = await issue_captcha(db, system.settings)
        response = render(system, staff.login_template, status_code, csrf_token=session.csrf_secret,
                          username=username, captcha_id=captcha_id, error=error)
        if new_cookie:
            set_cookie(response, system, new_cookie)
        return response

    @router.get(staff.login)
    async def login_page(request: Request) -> Response:
        if await staff.current(request) is not None:
            return RedirectResponse(staff.home, status_code=303)
        return await login_form(request, request.app.state.system)

    @router.post(staff.login)
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
            return await login_form(request, system, username=username, error=text("page.expired"), status_code=403)
        if refusal is not None:
            return await login_form(request, system, username=username, error=text(refusal), status_code=400)
        password = str(form.get("password", ""))[:128]
        if not username or not password or not username.isprintable():
            return await login_form(request, system, username=username, error=text("system.local.required"),
                                    status_code=400)
        async with system.sessionmaker() as db:
            member = await db.scalar(select(staff.member).where(staff.member.username == username))
        ok = await system.passwords.verify(member.password_hash if member else None, password)
        if member is None or not ok:
            return await login_form(request, system, username=username,
                                    error=text("system.local.wrong_credentials"), status_code=400)
        token, now = new_token(), utcnow()
        async with system.sessionmaker.begin() as db:
            await db.execute(delete(staff.session).where(staff.session.expires_at < now))
            db.add(staff.session(id_digest=digest(token), csrf_secret=new_token(), created_at=now,
                                 expires_at=now + dt.timedelta(seconds=system.settings.session_absolute_seconds),
                                 **{staff.member_column: member.id}))
        response = RedirectResponse(staff.home, status_code=303)
        response.set_cookie(staff.cookie(system), token, path="/", httponly=True, samesite="lax",
                            secure=system.settings.secure_cookies)
        return response

    @router.post(staff.logout)
    async def log_out(request: Request) -> Response:
        system: SystemContext = request.app.state.system
        current = await staff.current(request)
        form = await request.form()
        if current is not None and constant_time_equal(str(form.get("csrf_token", "")), current[0].csrf_secret):
            async with system.sessionmaker.begin() as db:
                await db.execute(update(staff.session).where(staff.session.id_digest == current[0].id_digest)
                                 .values(ended_at=utcnow()))
        response = RedirectResponse(staff.login, status_code=303)
        response.delete_cookie(staff.cookie(system), path="/", httponly=True, samesite="lax",
                               secure=system.settings.secure_cookies)
        return response

    return router
