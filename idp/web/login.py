"""The login page (a minimal one until the accounts issue adds the two windows and captcha),
the consent and account-choice pages of an authorization, and the portal home.

Each page belongs to an :class:`Interaction`; its CSRF token is checked on every POST.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from idp.accounts.models import Account
from idp.audit.log import record
from idp.db.ops import upsert
from idp.errors import AccessDenied, PageError
from idp.oidc import interactions
from idp.oidc.authorization_request import AuthorizationRequest, RedirectTarget
from idp.oidc.authorize import error_redirect
from idp.oidc.logout.single_logout import end_session_everywhere
from idp.oidc.models import Consent
from idp.oidc.scopes import SCOPE_LABELS
from idp.oidc.sessions_acr import ACR_PASSWORD, AMR_PASSWORD
from idp import clock
from idp.portal import Portal
from idp.sessions.store import reauthenticate, browser_cookie_name, load_session, session_cookie_name, set_cookie, start_session
from idp.web.pages import error_page, render

router = APIRouter()
WRONG_CREDENTIALS = "输入的用户名或密码错误"


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _next_url(row) -> str:
    return f"/authorize/resume?interaction={row.id}" if row.client_id else "/"


async def _load(request: Request, portal: Portal, db, interaction_id: str):
    return await interactions.load_interaction(db, portal.settings, request, interaction_id)


@router.get("/login")
async def login_page(request: Request, interaction: str | None = None) -> Response:
    portal: Portal = request.app.state.portal
    if interaction is None:
        # A login started on the portal itself: park an interaction for its CSRF token.
        browser, is_new = interactions.browser_token(request, portal.settings)
        async with portal.sessionmaker.begin() as db:
            row = interactions.create_interaction(db, portal.settings, client_id=None, request_json={}, browser=browser)
        response = RedirectResponse(f"/login?interaction={row.id}", status_code=303)
        if is_new:
            set_cookie(response, portal.settings, browser_cookie_name(portal.settings), browser, None)
        return response
    async with portal.sessionmaker() as db:
        try:
            row = await _load(request, portal, db, interaction)
        except PageError as exc:
            return error_page(exc.message, exc.status_code, exc.detail)
        client = await portal.client(row.client_id) if row.client_id else None
    hint = (row.request.get("authorization") or {}).get("login_hint") or ""
    return render("login.html", interaction=row.id, csrf_token=row.csrf_token, username=hint,
                  client_name=client.display_name if client else None, error=None)


@router.post("/login")
async def login_submit(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    form = await request.form()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    async with portal.sessionmaker() as db:
        try:
            row = await _load(request, portal, db, str(form.get("interaction", "")))
            interactions.check_csrf(row, form.get("csrf_token"))
        except PageError as exc:
            return error_page(exc.message, exc.status_code, exc.detail)
        # A name with control characters (a NUL breaks a PostgreSQL query) matches no account.
        account = None
        if username.isprintable():
            account = await db.scalar(select(Account).where(Account.username == username.lower()))
        previous = await load_session(db, portal.settings, request)
    client = await portal.client(row.client_id) if row.client_id else None
    stored_hash = account.password_hash if account is not None and account.disabled_at is None else None
    if not username or not await portal.passwords.verify(stored_hash, password):
        async with portal.sessionmaker.begin() as db:
            record(db, "login.failed", outcome="failure", actor=account.subject if account else None,
                   client_id=row.client_id, source_ip=_ip(request))
        return render("login.html", status_code=200, interaction=row.id, csrf_token=row.csrf_token,
                      username=username, client_name=client.display_name if client else None, error=WRONG_CREDENTIALS)
    token = None
    if previous is not None and previous.account.id != account.id:
        # Another user on this browser: the previous user's session ends everywhere.
        await end_session_everywhere(portal, previous.sid, reason="new_login", source_ip=_ip(request))
    async with portal.sessionmaker.begin() as db:
        if previous is not None and previous.account.id == account.id:
            token = await reauthenticate(db, previous, amr=AMR_PASSWORD, acr=ACR_PASSWORD, source_ip=_ip(request))
        if token is None:
            token, _ = await start_session(db, portal.settings, account, amr=AMR_PASSWORD, acr=ACR_PASSWORD,
                                           source_ip=_ip(request))
        record(db, "login.succeeded", actor=account.subject, client_id=row.client_id, source_ip=_ip(request))
    response = RedirectResponse(_next_url(row), status_code=303)
    set_cookie(response, portal.settings, session_cookie_name(portal.settings), token, None)
    return response


@router.get("/consent")
async def consent_page(request: Request, interaction: str = "") -> Response:
    portal: Portal = request.app.state.portal
    async with portal.sessionmaker() as db:
        try:
            row = await _load(request, portal, db, interaction)
        except PageError as exc:
            return error_page(exc.message, exc.status_code, exc.detail)
        session = await load_session(db, portal.settings, request)
    if session is None:
        return RedirectResponse(f"/login?interaction={row.id}", status_code=303)
    auth = AuthorizationRequest.from_json(row.request["authorization"])
    client = await portal.client(auth.client_id)
    labels = [SCOPE_LABELS[s] for s in auth.consent_scope() if s in SCOPE_LABELS]
    return render("consent.html", interaction=row.id, csrf_token=row.csrf_token, client_name=client.display_name,
                  labels=labels, account=session.account)


@router.post("/consent")
async def consent_submit(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    form = await request.form()
    async with portal.sessionmaker.begin() as db:
        try:
            row = await _load(request, portal, db, str(form.get("interaction", "")))
            interactions.check_csrf(row, form.get("csrf_token"))
        except PageError as exc:
            return error_page(exc.message, exc.status_code, exc.detail)
        session = await load_session(db, portal.settings, request)
        if session is None:
            return RedirectResponse(f"/login?interaction={row.id}", status_code=303)
        auth = AuthorizationRequest.from_json(row.request["authorization"])
        if form.get("decision") != "allow":
            await interactions.finish_interaction(db, row.id)
            record(db, "consent.denied", actor=session.account.subject, client_id=auth.client_id)
            return error_redirect(portal, RedirectTarget(auth.redirect_uri, auth.state),
                                  AccessDenied("the user denied the request"))
        existing = await db.scalar(
            select(Consent).where(Consent.account_id == session.account.id, Consent.client_id == auth.client_id)
        )
        scopes = sorted(set(existing.scopes if existing else []) | set(auth.consent_scope()) - {"openid"})
        await upsert(db, Consent, {"account_id": session.account.id, "client_id": auth.client_id,
                                   "scopes": scopes, "granted_at": clock.now()},
                     ["account_id", "client_id"], ["scopes", "granted_at"])
        await interactions.update_request(db, row, consented=True)
        record(db, "consent.granted", actor=session.account.subject, client_id=auth.client_id, scopes=scopes)
    return RedirectResponse(_next_url(row), status_code=303)


@router.get("/select-account")
async def select_account_page(request: Request, interaction: str = "") -> Response:
    portal: Portal = request.app.state.portal
    async with portal.sessionmaker() as db:
        try:
            row = await _load(request, portal, db, interaction)
        except PageError as exc:
            return error_page(exc.message, exc.status_code, exc.detail)
        session = await load_session(db, portal.settings, request)
    if session is None:
        return RedirectResponse(f"/login?interaction={row.id}", status_code=303)
    return render("select_account.html", interaction=row.id, csrf_token=row.csrf_token, account=session.account)


@router.post("/select-account")
async def select_account_submit(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    form = await request.form()
    async with portal.sessionmaker.begin() as db:
        try:
            row = await _load(request, portal, db, str(form.get("interaction", "")))
            interactions.check_csrf(row, form.get("csrf_token"))
        except PageError as exc:
            return error_page(exc.message, exc.status_code, exc.detail)
        session = await load_session(db, portal.settings, request)
        await interactions.update_request(db, row, account_selected=True)
    if form.get("choice") == "other" and session is not None:
        await end_session_everywhere(portal, session.sid, reason="switch_account", source_ip=_ip(request))
        return RedirectResponse(f"/login?interaction={row.id}", status_code=303)
    return RedirectResponse(_next_url(row), status_code=303)


@router.get("/")
async def home(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    async with portal.sessionmaker.begin() as db:
        session = await load_session(db, portal.settings, request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return render("home.html", account=session.account, csrf_token=session.csrf_secret)
