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
from idp.web.kit import client_ip, interaction_page, portal_of, posted_interaction, to_interaction_login
from idp.web.pages import render

router = APIRouter()


@router.get("/select-account")
async def select_account_page(request: Request, interaction: str = "") -> Response:
    row, session = await interaction_page(request, interaction)
    if session is None:
        return to_interaction_login(row)
    return render("select_account.html", interaction=row.id, csrf_token=row.csrf_token, account=session.account)


@router.post("/select-account")
async def select_account_submit(request: Request) -> Response:
    portal = portal_of(request)
    form = await request.form()
    async with portal.sessionmaker.begin() as db:
        row, session = await posted_interaction(db, request, form)
        await interactions.update_request(db, row, account_selected=True)
    if form.get("choice") == "other" and session is not None:
        await end_session_everywhere(portal, session.sid, reason="switch_account", source_ip=client_ip(request))
        return to_interaction_login(row)
    return RedirectResponse(next_url(row), status_code=303)
