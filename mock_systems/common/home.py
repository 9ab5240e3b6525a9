"""The home page (who is logged in, and how) and logout.

Logging out ends this system's session; after a login through the portal it then has the
browser post to the portal's end_session_endpoint (RP-initiated logout, a form that submits
itself) with the ID token as hint, which ends the portal session and returns to our home page.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from mock_systems.common.context import SystemContext
from mock_systems.common.models import LocalAccount
from mock_systems.common.pages import message_page, render
from mock_systems.common.portal_client import PortalError
from mock_systems.common.security import constant_time_equal
from mock_systems.common.sessions import clear_cookie, end_session, load_session
from shared.messages import text

router = APIRouter()
ACCOUNT_TYPES = {"personal": "个人账号", "legal_person": "法人账号", "agent": "经办人"}


@router.get("/")
async def home(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    async with system.sessionmaker.begin() as db:
        session = await load_session(db, system, request)
        account = await db.get(LocalAccount, session.account_id) if session and session.account_id else None
    if account is not None and (blocked := await system.gate(request, account)) is not None:
        return blocked  # the system's own condition of use comes first (extension.py)
    portal = (session.portal_claims or {}) if session and account else {}
    return render(system, "home.html", account=account, session=session, portal=portal,
                  account_type_label=ACCOUNT_TYPES.get(portal.get("account_type", ""), "—"))


@router.post("/logout")
async def logout(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    form = await request.form()
    async with system.sessionmaker.begin() as db:
        session = await load_session(db, system, request)
        if session is None:
            return RedirectResponse("/", status_code=303)
        if not constant_time_equal(str(form.get("csrf_token", "")), session.csrf_secret):
            return message_page(system, text("page.expired"), 403, "CSRF token mismatch")
        await end_session(db, session.id_digest)
    portal_logout = None
    if session.login_method == "portal":
        provider = SystemContext.of_issuer(request, session.portal_issuer) or system  # who logged it in
        try:
            portal_logout = await provider.portal.end_session_form(session.id_token)
        except PortalError:
            pass  # our session has ended; the portal's ends with its own logout
    response: Response
    if portal_logout is None:
        response = RedirectResponse("/", status_code=303)
    else:
        action, fields = portal_logout
        response = render(system, "end_session.html", action=action, fields=fields)
    clear_cookie(response, system)
    return response
