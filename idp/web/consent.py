"""The consent page of an authorization: which data the system asks for, 允许 or 拒绝.

The page belongs to the login interaction (:class:`Interaction`); its CSRF token is checked on
every POST, and the decision is one transition of :mod:`idp.oidc.consent`.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from idp.errors import AccessDenied
from idp.flows.login.transitions import next_url
from idp.oidc.authorization_request import AuthorizationRequest, RedirectTarget
from idp.oidc.consent import deny_consent, grant_consent
from idp.oidc.scopes import SCOPE_LABELS
from idp.web.authorization_response import error_redirect
from idp.web.kit import interaction_page, portal_of, posted_interaction, to_interaction_login
from idp.web.pages import render

router = APIRouter()


@router.get("/consent")
async def consent_page(request: Request, interaction: str = "") -> Response:
    row, session = await interaction_page(request, interaction)
    if session is None:
        return to_interaction_login(row)
    auth = AuthorizationRequest.from_json(row.request["authorization"])
    client = await portal_of(request).client(auth.client_id)
    labels = [SCOPE_LABELS[s] for s in auth.consent_scope() if s in SCOPE_LABELS]
    return render("consent.html", interaction=row.id, csrf_token=row.csrf_token, client_name=client.display_name,
                  labels=labels, account=session.account)


@router.post("/consent")
async def consent_submit(request: Request) -> Response:
    portal = portal_of(request)
    form = await request.form()
    async with portal.sessionmaker.begin() as db:
        row, session = await posted_interaction(db, request, form)
        if session is None:
            return to_interaction_login(row)
        auth = AuthorizationRequest.from_json(row.request["authorization"])
        if form.get("decision") != "allow":
            await deny_consent(db, row, session, auth)
            return error_redirect(portal, RedirectTarget(auth.redirect_uri, auth.state, auth.response_mode),
                                  AccessDenied("the user denied the request"))
        await grant_consent(db, row, session, auth)
    return RedirectResponse(next_url(row), status_code=303)
