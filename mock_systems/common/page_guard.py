"""What a logged-in page of a system checks first: the session and its account (else the home
page, or what the profile's access gate shows), and a POST's CSRF secret."""
from __future__ import annotations

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from mock_systems.common.context import SystemContext
from mock_systems.common.models import LocalAccount, WebSession
from mock_systems.common.security import constant_time_equal
from mock_systems.common.sessions import load_session


async def logged_in(request: Request, *, gated: bool = True) -> tuple[WebSession, LocalAccount] | Response:
    """The session and its account, or the page to show instead (not logged in; or, when
    ``gated``, what the profile's access gate shows first)."""
    system: SystemContext = request.app.state.system
    async with system.sessionmaker.begin() as db:  # begin: load_session may touch the idle clock
        session = await load_session(db, system, request)
        account = await db.get(LocalAccount, session.account_id) if session and session.account_id else None
    if session is None or account is None:
        return RedirectResponse("/", status_code=303)
    if gated and (blocked := await system.gate(request, account)) is not None:
        return blocked  # the system's own condition of use comes first (extension.py)
    return session, account


def forged(session: WebSession, form) -> bool:
    return not constant_time_equal(str(form.get("csrf_token", "")), session.csrf_secret)
