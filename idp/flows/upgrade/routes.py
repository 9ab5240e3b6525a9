"""/upgrade: a logged-in personal account at 二级 becomes 三级.

GET /upgrade shows the current level and 开始认证 (or why no upgrade is possible); POST starts
the stronger check and redirects to /upgrade?flow=…, where the user types the confirmation the
CTID app shows; POST /upgrade/confirm checks it. Forms carry the session's CSRF secret (start)
or the flow's (confirm); the flow belongs to the account and the browser that started it.

A system's login that asked for 三级 (acr) parks its request and links here with
``?interaction=…``: the upgrade carries it along and its done page leads back to the login
(/authorize/resume), while the parked request is still valid, this browser's and unfinished.
"""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from idp.accounts.display import LEVELS
from idp.errors import DomainError, PageError
from idp.flows import store
from idp.flows.models import Flow
from idp.flows.upgrade import transitions
from idp.flows.upgrade.forms import parse_confirmation
from idp.flows.web import run_step
from idp.oidc import interactions
from idp.oidc.client_address import client_ip
from idp.oidc.interactions import browser_token
from idp.sessions.store import ActiveSession, browser_cookie_name, set_cookie
from idp.verification import upgrade_verifier
from idp.web.kit import csrf_form_for, portal_of, render_page, signed_in_for

router = APIRouter()
# Login comes back here, in the personal window (an upgrade is a personal account's).
require_upgrader = signed_in_for("/login?window=personal&return_to=/upgrade")
Upgrader = Annotated[ActiveSession, Depends(require_upgrader)]
UpgraderForm = Annotated[FormData, Depends(csrf_form_for(require_upgrader))]


async def _flow(request: Request, flow_id, session: ActiveSession) -> Flow:
    portal = portal_of(request)
    async with portal.sessionmaker() as db:
        flow = await store.load_flow(db, portal.settings, request, str(flow_id or ""), transitions.UPGRADE)
    if flow.account_id != session.account.id:  # another user logged in on this browser meanwhile
        raise PageError(store.EXPIRED)
    return flow


def _page(request: Request, template: str, session: ActiveSession, refusal: DomainError | None = None,
          **context) -> Response:
    settings = portal_of(request).settings
    return render_page(f"upgrade/{template}", session, account=session.account,
                       level=LEVELS.get(session.account.realname_level, ""), error=refusal.text() if refusal else None,
                       dev=not settings.is_production, minutes=settings.one_time_code_ttl_seconds // 60, **context)


def _refusal(session: ActiveSession, verifier) -> DomainError | None:
    try:
        transitions.check_eligible(session.account)
    except DomainError as refusal:
        return refusal
    return DomainError("upgrade.unavailable") if verifier is None else None


async def _parked_login(request: Request, interaction_id) -> dict | None:
    """The system whose login sent the user here and the way back to it, while that login waits."""
    if not isinstance(interaction_id, str) or not interaction_id:
        return None
    portal = portal_of(request)
    try:
        async with portal.sessionmaker() as db:
            row = await interactions.load_interaction(db, portal.settings, request, interaction_id)
    except PageError:  # expired, finished or another browser's: the upgrade goes on without it
        return None
    client = await portal.client(row.client_id) if row.client_id else None
    if client is None:
        return None
    return {"id": row.id, "system": client.display_name,
            "href": f"/authorize/resume?{urlencode({'interaction': row.id})}"}


@router.get("/upgrade")
async def upgrade_page(request: Request, session: Upgrader, flow: str | None = None,
                       interaction: str | None = None) -> Response:
    portal = portal_of(request)
    if flow is not None:
        row = await _flow(request, flow, session)
        return _page(request, "confirm.html", session, flow=row.id, flow_csrf=row.csrf_token)
    refusal = _refusal(session, upgrade_verifier(portal.settings))
    return _page(request, "start.html", session, refusal, can_start=refusal is None,
                 parked=await _parked_login(request, interaction))


@router.post("/upgrade")
async def upgrade_start(request: Request, session: Upgrader, form: UpgraderForm) -> Response:
    """开始认证 (carrying along the system's parked login, if any)."""
    portal = portal_of(request)
    verifier = upgrade_verifier(portal.settings)
    refusal = _refusal(session, verifier)
    if refusal is not None:
        return _page(request, "start.html", session, refusal, can_start=False)
    browser, is_new = browser_token(request, portal.settings)
    try:
        parked = await _parked_login(request, form.get("interaction"))
        flow = await transitions.start_upgrade(portal, session.account, browser, verifier, client_ip(request),
                                               interaction=parked["id"] if parked else None)
    except DomainError as refusal:  # too many confirmations sent lately: start again later
        return _page(request, "start.html", session, refusal, can_start=True)
    response = RedirectResponse(f"/upgrade?flow={flow.id}", status_code=303)
    if is_new:
        set_cookie(response, portal.settings, browser_cookie_name(portal.settings), browser, None)
    return response


@router.post("/upgrade/confirm")
async def upgrade_confirm(request: Request, session: Upgrader) -> Response:
    """确认: the confirmation from the CTID app; the form carries the flow's CSRF token."""
    portal = portal_of(request)

    async def load(form: FormData) -> Flow:
        flow = await _flow(request, form.get("flow"), session)
        store.check_flow_csrf(flow, form.get("csrf_token"))
        return flow

    verifier = upgrade_verifier(portal.settings)

    async def step(form: FormData, flow: Flow) -> None:
        if verifier is None:
            raise PageError(store.EXPIRED)
        await transitions.confirm_upgrade(portal, flow, session.account, parse_confirmation(form), verifier,
                                          client_ip(request))

    def refused(form: FormData, flow: Flow, refusal: DomainError) -> Response:
        if refusal.message_id in ("upgrade.already", "upgrade.not_eligible"):
            return _page(request, "start.html", session, refusal, can_start=False)
        return _page(request, "confirm.html", session, refusal, flow=flow.id, flow_csrf=flow.csrf_token)

    def done(flow: Flow) -> str:
        parked = flow.data.get("interaction")
        return f"/upgrade/done?{urlencode({'interaction': parked})}" if parked else "/upgrade/done"

    return await run_step(request, load=load, step=step, refused=refused, then=done)


@router.get("/upgrade/done")
async def upgrade_done(request: Request, session: Upgrader, interaction: str | None = None) -> Response:
    if session.account.realname_level < transitions.TO_LEVEL:
        return RedirectResponse("/upgrade", status_code=303)
    return _page(request, "done.html", session, parked=await _parked_login(request, interaction))
