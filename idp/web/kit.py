"""What every signed-in page of the spaces needs (个人空间 / 法人空间, 账号设置, 我的绑定,
经办人授权, 我的消息, 登录设备): the session, the way back to login, the CSRF check and the page
frame with the account's profile and menu.

Layer: web. Pages import these; nothing below the web layer does.
"""
from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from idp.errors import PageError
from idp.portal import Portal
from idp.security.tokens import constant_time_equal
from idp.sessions.store import ActiveSession, load_session
from idp.space.profile import MENU, profile_of
from idp.web.pages import render


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def portal_of(request: Request) -> Portal:
    return request.app.state.portal


async def signed_in(request: Request) -> ActiveSession | None:
    """The login session of this browser, or None (the page then sends it to /login)."""
    portal = portal_of(request)
    async with portal.sessionmaker.begin() as db:  # load_session may touch last_seen_at
        return await load_session(db, portal.settings, request)


def to_login() -> Response:
    return RedirectResponse("/login", status_code=303)


def check_csrf(session: ActiveSession, form: FormData) -> None:
    """Every form of a signed-in page carries the session's CSRF secret (OWASP ASVS 4.0 V4.2.2)."""
    submitted = form.get("csrf_token")
    if not isinstance(submitted, str) or not constant_time_equal(submitted, session.csrf_secret):
        raise PageError("page.expired", status_code=403, detail="CSRF token mismatch")


def render_page(template: str, session: ActiveSession, **context) -> Response:
    """A space page: the account's profile (the enterprise's frame for an agent), menu and CSRF secret."""
    return render(template, profile=profile_of(session.account, session.enterprise), csrf_token=session.csrf_secret,
                  menu=MENU,
                  **context)
