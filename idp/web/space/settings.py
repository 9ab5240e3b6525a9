"""个人空间 / 法人空间 and 账号设置: GET renders a page, POST runs one transition.

Every page needs a login session (else /login); every form carries the session's CSRF secret.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.exc import IntegrityError
from starlette.responses import RedirectResponse, Response

from idp.errors import DomainError, PageError
from idp.flows.store import load_flow
from idp.oidc.interactions import browser_token
from idp.sessions.store import ActiveSession, browser_cookie_name, set_cookie
from idp.space import transitions
from idp.space.forms import (
    CONTACTS,
    Contact,
    parse_code,
    parse_current_password,
    parse_new_contact,
    parse_password_change,
)
from idp.upstream_links.transitions import links_of_account
from idp.web.kit import CsrfForm, SignedIn, client_ip, portal_of, render_page
from idp.web.space import SETTINGS, SPACE

router = APIRouter()
NOTICES = {"password": "settings.password_changed", "mobile": "settings.mobile_changed",
           "email": "settings.email_changed"}


def contact_of(key: str) -> Contact:
    """The contact of the path (mobile or email); an unknown one is 404 before anything else."""
    if key not in CONTACTS:
        raise PageError("page.not_found", status_code=404)
    return CONTACTS[key]


ContactOfPath = Annotated[Contact, Depends(contact_of)]


@router.get(SPACE)
async def space_home(session: SignedIn) -> Response:
    return render_page("space/home.html", session)


@router.get(SETTINGS)
async def settings_page(request: Request, session: SignedIn, done: str = "") -> Response:
    notice = NOTICES.get(done)
    portal = portal_of(request)
    async with portal.reader() as db:  # 国家政务服务平台账号: shown when offered, or still linked
        linked = bool(await links_of_account(db, session.account.id))
    upstream_name = portal.settings.upstream_display_name if portal.settings.upstream_enabled or linked else None
    return render_page("space/settings.html", session, notice=DomainError(notice).text() if notice else None,
                       upstream_name=upstream_name, upstream_linked=linked)


@router.get(SETTINGS + "/password")
async def password_page(session: SignedIn) -> Response:
    return render_page("space/password.html", session, error=None)


@router.post(SETTINGS + "/password")
async def password_submit(request: Request, session: SignedIn, form: CsrfForm) -> Response:
    try:
        change = parse_password_change(form, session.account.personal_data)
        await transitions.change_password(portal_of(request), session, change, client_ip(request))
    except DomainError as exc:
        return render_page("space/password.html", session, error=exc.text())
    return RedirectResponse(SETTINGS + "?done=password", status_code=303)


@router.get(SETTINGS + "/{key}")
async def contact_page(request: Request, contact: ContactOfPath, session: SignedIn, flow: str = "") -> Response:
    if not flow:
        return render_page("space/contact.html", session, contact=contact, step="enter", value="", error=None)
    portal = portal_of(request)
    async with portal.sessionmaker() as db:
        row = await load_flow(db, portal.settings, request, flow, contact.purpose)
    transitions.check_flow_owner(row, session)
    return _code_step(request, session, contact, row.id, row.data["value"], None)


def _code_step(request: Request, session: ActiveSession, contact: Contact, flow_id: str, value: str,
               error: str | None) -> Response:
    minutes = portal_of(request).settings.one_time_code_ttl_seconds // 60
    return render_page("space/contact.html", session, contact=contact, step="code", flow=flow_id,
                 destination=value, minutes=minutes, error=error)


@router.post(SETTINGS + "/{key}")
async def contact_submit(request: Request, contact: ContactOfPath, session: SignedIn, form: CsrfForm) -> Response:
    portal = portal_of(request)
    browser, is_new = browser_token(request, portal.settings)
    try:
        value = parse_new_contact(contact, form, getattr(session.account, contact.key))
        flow_id = await transitions.request_contact_change(portal, session, contact, value,
                                                           parse_current_password(form), browser, client_ip(request))
    except DomainError as exc:
        typed = form.get(contact.key, "")
        return render_page("space/contact.html", session, contact=contact, step="enter",
                     value=typed if isinstance(typed, str) else "", error=exc.text())
    response = RedirectResponse(f"{SETTINGS}/{contact.key}?flow={flow_id}", status_code=303)
    if is_new:  # the flow is bound to this browser
        set_cookie(response, portal.settings, browser_cookie_name(portal.settings), browser, None)
    return response


@router.post(SETTINGS + "/{key}/confirm")
async def contact_confirm(request: Request, contact: ContactOfPath, session: SignedIn, form: CsrfForm) -> Response:
    portal = portal_of(request)
    flow_id = form.get("flow")
    error: DomainError | None = None
    try:
        async with portal.sessionmaker.begin() as db:
            row = await load_flow(db, portal.settings, request, flow_id if isinstance(flow_id, str) else "",
                                  contact.purpose)
            shown = (row.id, row.data["value"])  # a rollback expires ``row``
            try:
                notice = await transitions.confirm_contact_change(db, portal, session, contact, row,
                                                                  parse_code(form), client_ip(request))
            except DomainError as exc:
                error = exc  # leave the block normally: a wrong code's attempt is committed
    except IntegrityError:
        # Another personal account took the number between our check and our UPDATE.
        error = DomainError("settings.mobile_taken")
    if error is not None:
        return _code_step(request, session, contact, *shown, error.text())
    await transitions.announce_change(portal, notice)
    return RedirectResponse(f"{SETTINGS}?done={contact.key}", status_code=303)
