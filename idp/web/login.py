"""The consent and account-choice pages of an authorization (the login page itself is
:mod:`idp.flows.login`).

Each page belongs to an :class:`Interaction`; its CSRF token is checked on every POST.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from idp import clock
from idp.audit.log import record
from idp.db.ops import upsert
from idp.errors import AccessDenied
from idp.flows.login.transitions import next_url
from idp.oidc import interactions
from idp.oidc.authorization_request import AuthorizationRequest, RedirectTarget
from idp.oidc.logout.single_logout import end_session_everywhere
from idp.oidc.models import Consent
from idp.oidc.redirects import error_redirect
from idp.oidc.scopes import SCOPE_LABELS
from idp.portal import Portal
from idp.sessions.store import load_session
from idp.web.pages import render

router = APIRouter()


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _load(request: Request, portal: Portal, db, interaction_id: str):
    return await interactions.load_interaction(db, portal.settings, request, interaction_id)


@router.get("/consent")
async def consent_page(request: Request, interaction: str = "") -> Response:
    portal: Portal = request.app.state.portal
    async with portal.sessionmaker() as db:
        row = await _load(request, portal, db, interaction)
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
        row = await _load(request, portal, db, str(form.get("interaction", "")))
        interactions.check_csrf(row, str(form.get("csrf_token") or ""))
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
    return RedirectResponse(next_url(row), status_code=303)


@router.get("/select-account")
async def select_account_page(request: Request, interaction: str = "") -> Response:
    portal: Portal = request.app.state.portal
    async with portal.sessionmaker() as db:
        row = await _load(request, portal, db, interaction)
        session = await load_session(db, portal.settings, request)
    if session is None:
        return RedirectResponse(f"/login?interaction={row.id}", status_code=303)
    return render("select_account.html", interaction=row.id, csrf_token=row.csrf_token, account=session.account)


@router.post("/select-account")
async def select_account_submit(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    form = await request.form()
    async with portal.sessionmaker.begin() as db:
        row = await _load(request, portal, db, str(form.get("interaction", "")))
        interactions.check_csrf(row, str(form.get("csrf_token") or ""))
        session = await load_session(db, portal.settings, request)
        await interactions.update_request(db, row, account_selected=True)
    if form.get("choice") == "other" and session is not None:
        await end_session_everywhere(portal, session.sid, reason="switch_account", source_ip=_ip(request))
        return RedirectResponse(f"/login?interaction={row.id}", status_code=303)
    return RedirectResponse(next_url(row), status_code=303)
