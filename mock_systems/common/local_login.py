"""The system's own login page (本系统账号登录): username, password and a graphic captcha.

The form's CSRF token is the secret of the browser's (anonymous) session. The captcha is
checked first and consumed either way; a wrong username or password gets one message for both.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from mock_systems.common.accounts import CredentialsRefused, check_credentials
from mock_systems.common.captcha_store import consume_captcha, issue_captcha
from mock_systems.common.context import SystemContext
from mock_systems.common.pages import render
from mock_systems.common.security import constant_time_equal
from mock_systems.common.sessions import ensure_session, load_session, log_in, set_cookie
from shared.messages import text

router = APIRouter()


async def show_form(request: Request, system: SystemContext, *, username: str = "", error: str | None = None,
                    status_code: int = 200) -> Response:
    async with system.sessionmaker.begin() as db:
        session, new_cookie = await ensure_session(db, system, request)
        captcha_id = await issue_captcha(db, system.settings)
    response = render(system, "local_login.html", status_code, csrf_token=session.csrf_secret,
                      captcha_id=captcha_id, username=username, error=error)
    if new_cookie:
        set_cookie(response, system, new_cookie)
    return response


@router.get("/local/login")
async def local_login_page(request: Request) -> Response:
    return await show_form(request, request.app.state.system)


@router.post("/local/login")
async def local_login_submit(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    form = await request.form()
    username = str(form.get("username", ""))[:64]
    async with system.sessionmaker.begin() as db:
        session = await load_session(db, system, request)
        forged = session is None or not constant_time_equal(str(form.get("csrf_token", "")), session.csrf_secret)
        if not forged:
            refusal = await consume_captcha(db, str(form.get("captcha_id", "")), str(form.get("captcha", "")))
    # Each page below is rendered in a transaction of its own, once this one has committed.
    if forged:
        return await show_form(request, system, username=username, error=text("page.expired"), status_code=403)
    if refusal is not None:
        return await show_form(request, system, username=username, error=text(refusal), status_code=400)
    if not username.strip() or not form.get("password"):
        return await show_form(request, system, username=username, error=text("system.local.required"), status_code=400)
    account = await check_credentials(system, username, str(form.get("password", "")))
    if isinstance(account, CredentialsRefused):
        return await show_form(request, system, username=username, error=text("system.local.wrong_credentials"),
                               status_code=400)
    async with system.sessionmaker.begin() as db:
        token = await log_in(db, system, session, account_id=account.id, login_method="local")
    response = RedirectResponse("/", status_code=303)
    set_cookie(response, system, token)
    return response
