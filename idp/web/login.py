"""The account-choice page of an authorization (prompt=select_account): go on as the signed-in
account, or log in as another. The login page itself is :mod:`idp.flows.login`, the consent
page :mod:`idp.web.consent`.

The page belongs to an :class:`Interaction`; its CSRF token is checked on every POST.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from idp.flows.login.transitions import next_url
from idp.oidc import interactions
from idp.oidc.logout.single_logout import end_session_everywhere
from idp.sessions.store import load_session
from idp.web.kit import client_ip, interaction_page, portal_of
from idp.web.pages import render

router = APIRouter()


@router.get("/select-account")
async def select_account_page(request: Request, interaction: str = "") -> Response:
    row, session = await interaction_page(request, interaction)
    if session is None:
        return RedirectResponse(f"/login?interaction={row.id}", status_code=303)
    return render("select_account.html", interaction=row.id, csrf_token=row.csrf_token, account=session.account)


@router.post("/select-account")
async def select_account_submit(request: Request) -> Response:
    portal = portal_of(request)
    form = await request.form()
    async with portal.sessionmaker.begin() as db:
        row = await interactions.load_interaction(db, portal.settings, request, str(form.get("interaction", "")))
        interactions.check_csrf(row, form.get("csrf_token"))
        session = await load_session(db, portal.settings, request)
        await interactions.update_request(db, row, account_selected=True)
    if form.get("choice") == "other" and session is not None:
        await end_session_everywhere(portal, session.sid, reason="switch_account", source_ip=client_ip(request))
        return RedirectResponse(f"/login?interaction={row.id}", status_code=303)
    return RedirectResponse(next_url(row), status_code=303)
