"""账号设置 → 注销账号: the warning page with what will happen (and to which bindings), the current
password, then a code to the mobile and the confirmation; the account is closed by
idp.space.closure and the browser lands on a page that says so (its session is gone)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from idp.bindings.queries import bindings_of
from idp.errors import DomainError
from idp.flows.store import load_flow
from idp.oidc.interactions import browser_token
from idp.sessions.store import ActiveSession, browser_cookie_name, session_cookie_name, set_cookie
from idp.space import closure
from idp.space.forms import parse_code, parse_current_password
from idp.web.kit import CsrfForm, SignedIn, client_ip, portal_of, render_page
from idp.web.pages import render
from idp.web.space import SETTINGS

router = APIRouter()
CLOSE = SETTINGS + "/close"


async def _bindings_shown(request: Request, session: ActiveSession) -> list[dict]:
    """Each live binding and what closing does to it (the user's own; agents' end with the agency)."""
    portal = portal_of(request)
    async with portal.reader() as db:
        rows = await bindings_of(db, session.account)
    shown = []
    for row in rows:
        client = await portal.client(row.client_id)
        by_user = row.state != "active" or (client is not None and row.kind in client.unbindable_kinds)
        shown.append({"system": row.system, "holder": row.holder, "enterprise": row.enterprise,
                      "fate": "自动解除" if by_user or row.enterprise else "不可解除，将转交工作人员解除"})
    return shown


async def _warning(request: Request, session: ActiveSession, error: str | None) -> Response:
    """The 注销须知 and the password form; for whom may not close here (an agent acting for an
    enterprise, an official) the reason instead of the form."""
    refused = None
    try:
        closure.check_may_close(session)
    except DomainError as exc:
        refused = exc.text()
    return render_page("space/close.html", session, step="enter", bindings=await _bindings_shown(request, session),
                       error=refused or error, refused=refused is not None)


def _code_step(request: Request, session: ActiveSession, flow_id: str, destination: str,
               error: str | None) -> Response:
    minutes = portal_of(request).settings.one_time_code_ttl_seconds // 60
    return render_page("space/close.html", session, step="code", flow=flow_id, destination=destination,
                       minutes=minutes, error=error)


@router.get(CLOSE)
async def close_page(request: Request, session: SignedIn, flow: str = "") -> Response:
    if not flow:
        return await _warning(request, session, None)
    portal = portal_of(request)
    async with portal.sessionmaker() as db:
        row = await load_flow(db, portal.settings, request, flow, closure.PURPOSE)
    closure.check_flow_owner(row, session)
    return _code_step(request, session, row.id, row.data["destination"], None)


@router.post(CLOSE)
async def close_submit(request: Request, session: SignedIn, form: CsrfForm) -> Response:
    portal = portal_of(request)
    browser, is_new = browser_token(request, portal.settings)
    try:
        flow_id = await closure.request_closure_code(portal, session, parse_current_password(form), browser,
                                                     client_ip(request))
    except DomainError as exc:
        return await _warning(request, session, exc.text())
    response = RedirectResponse(f"{CLOSE}?flow={flow_id}", status_code=303)
    if is_new:  # the flow is bound to this browser
        set_cookie(response, portal.settings, browser_cookie_name(portal.settings), browser, None)
    return response


@router.post(CLOSE + "/confirm")
async def close_confirm(request: Request, session: SignedIn, form: CsrfForm) -> Response:
    portal = portal_of(request)
    flow_id = form.get("flow")
    async with portal.sessionmaker() as db:
        row = await load_flow(db, portal.settings, request, flow_id if isinstance(flow_id, str) else "",
                              closure.PURPOSE)
    try:
        closed = await closure.close_account(portal, session, row, parse_code(form), form.get("confirm") == "yes",
                                             client_ip(request))
    except DomainError as exc:
        return _code_step(request, session, row.id, row.data["destination"], exc.text())
    response = render("space/closed.html", closed=closed)
    # The session row has ended already; the cookie goes too (with the attributes it was set with).
    set_cookie(response, portal.settings, session_cookie_name(portal.settings), "", 0)
    return response
