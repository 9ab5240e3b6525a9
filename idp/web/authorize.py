"""The authorization endpoint (RFC 6749 §4.1, OIDC Core §3.1.2), GET and POST.

authorize → collect parameters → verify client and redirect_uri (else an error page) →
validate → decide what the user must still do → either park an interaction and send the
browser to login/consent, or issue a code. ``/authorize/resume`` re-enters the decision after
the user has acted.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import cast
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy import Table, insert, select
from starlette.responses import RedirectResponse, Response

from idp import clock
from idp.audit.log import record, record_now
from idp.clients.pairwise import seen_by
from idp.errors import (
    AccountSelectionRequired,
    ConsentRequired,
    DomainError,
    InvalidRequest,
    LoginRequired,
    OAuthError,
    UnmetAuthenticationRequirements,
)
from idp.flows.upgrade.transitions import TO_LEVEL, check_eligible
from idp.oidc import interactions
from idp.oidc.authorization_request import (
    AuthorizationRequest,
    RedirectTarget,
    collect_parameters,
    validate,
    verify_client_and_redirect,
)
from idp.oidc.models import AuthorizationCode, Consent
from idp.oidc.par import is_pushed_request_uri, pushed_requests_required, take_pushed_request
from idp.oidc.scopes import scopes_needing_consent
from idp.oidc.sessions_acr import requested_acr, required_level, token_acr
from idp.portal import Portal
from idp.security.tokens import digest, new_token
from idp.sessions.store import ActiveSession, browser_cookie_name, load_session, record_session_client, set_cookie
from idp.web.authorization_response import code_redirect, error_redirect
from idp.web.kit import client_ip
from idp.web.pages import error_page, render
from shared.exact_routes import plain_route
from shared.messages import text

router = APIRouter()
INSERT_CODE = insert(cast(Table, AuthorizationCode.__table__))  # built once: every code issued runs it


@plain_route(router, "/authorize", ["GET", "POST"])
async def authorize(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    items = list(request.query_params.multi_items())
    if request.method == "POST":
        # A file upload is no parameter value (RFC 6749 §3.1 parameters are text).
        items = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    params, duplicated = collect_parameters(items)
    client_id = params.get("client_id")
    # RFC 6749 §A.1: a client_id is printable; looking up a NUL would fail on PostgreSQL.
    client = await portal.client(client_id) if client_id and client_id.isprintable() else None
    if is_pushed_request_uri(params.get("request_uri")) and client is not None and "request_uri" not in duplicated:
        # RFC 9126 §4: the pushed request, and nothing else of this query, is the request. Any
        # other request_uri (a request object by reference) is refused by validate() below.
        return await decide(request, portal, await take_pushed_request(portal, client, params["request_uri"]),
                            interaction=None)
    target = verify_client_and_redirect(params, duplicated, client)
    assert client is not None  # verify_client_and_redirect raised for an unknown client
    try:
        if pushed_requests_required(portal.settings, client):
            raise InvalidRequest("this client must push its authorization requests (RFC 9126)")
        auth_request = await validate(params, duplicated, client, target, await portal.key_ring(),
                                      portal.settings.issuer)
    except OAuthError as exc:
        return error_redirect(portal, target, exc)
    return await decide(request, portal, auth_request, interaction=None)


@plain_route(router, "/authorize/resume", ["GET"])
async def resume(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    async with portal.reader() as db:  # a read: not on SQLite's one writer connection
        row = await interactions.load_interaction(db, portal.settings, request,
                                                  request.query_params.get("interaction", ""))
    auth_request = AuthorizationRequest.from_json(row.request["authorization"])
    return await decide(request, portal, auth_request, interaction=row)


async def decide(request: Request, portal: Portal, auth: AuthorizationRequest, interaction) -> Response:
    target = RedirectTarget(auth.redirect_uri, auth.state, auth.response_mode)
    client = await portal.client(auth.client_id)
    if client is None:
        return error_page("request.unknown_client", 400, "client was removed")
    async with portal.sessionmaker.begin() as db:
        session = await load_session(db, portal.settings, request)
        started = interaction.created_at if interaction is not None else None
        progress = interaction.request if interaction is not None else {}
        acr = requested_acr(auth.acr_values, auth.claims, client.default_acr_values)
        step = await next_step(db, auth, session, client.first_party, started, progress, required_level(acr),
                               seen_as=seen_by(portal.settings, client))
        if step is None:
            assert session is not None  # next_step asks for a login without a session
            if interaction is not None and not await interactions.finish_interaction(db, interaction.id):
                return error_page(interactions.EXPIRED)
            code = await issue_code(db, portal, auth, session, token_acr(session.account.realname_level, acr))
            await record_now(db, "authorization.code_issued", actor=session.subject, client_id=client.client_id,
                             source_ip=client_ip(request), sid=session.sid)
            return code_redirect(portal, target, code)
        if "none" in auth.prompt:
            return error_redirect(portal, target, step.error)
        upgrade = None
        if step is UNMET_ACR:
            assert session is not None
            record(db, "authorization.acr_unmet", actor=session.subject, client_id=client.client_id,
                   source_ip=client_ip(request), requested=acr, realname_level=session.account.realname_level)
            upgrade = can_upgrade_to(session, required_level(acr) or 0)
            if not upgrade:
                return acr_unmet_page(client.display_name, resume=None)
        # Park the request: login and consent come back to it, and so does an upgrade to 三级.
        browser, is_new = interactions.browser_token(request, portal.settings)
        if interaction is None or interaction.browser_digest != digest(browser):
            interaction = await interactions.create_interaction(
                db, portal.settings, client_id=client.client_id,
                request_json={"authorization": auth.to_json()}, browser=browser,
            )
    if upgrade:
        response = acr_unmet_page(client.display_name, resume=interaction.id)
    else:
        response = RedirectResponse(f"{step.path}?interaction={interaction.id}", status_code=303)
    if is_new:
        set_cookie(response, portal.settings, browser_cookie_name(portal.settings), browser, None)
    return response


def can_upgrade_to(session: ActiveSession, level: int) -> bool:
    """A personal account at 二级 asked for 三级 can upgrade (/upgrade); no other can."""
    try:
        check_eligible(session.account)
    except DomainError:
        return False
    return level >= TO_LEVEL


def acr_unmet_page(system: str, resume: str | None) -> Response:
    """Why the system cannot be entered with this account; when an upgrade to 三级 would do, the
    way to /upgrade, which brings the user back to this parked request (``resume``) once done."""
    if resume is None:
        return render("acr_unmet.html", status_code=403, message=text("authorize.acr_unreachable", system=system),
                      upgrade_href=None)
    return render("acr_unmet.html", status_code=403, message=text("authorize.acr_upgrade", system=system),
                  upgrade_href=f"/upgrade?{urlencode({'interaction': resume})}")


class Step:
    def __init__(self, path: str, error: OAuthError):
        self.path = path
        self.error = error


LOGIN = Step("/login", LoginRequired("the user must log in"))
SELECT_ACCOUNT = Step("/select-account", AccountSelectionRequired("the user must choose an account"))
CONSENT = Step("/consent", ConsentRequired("the user must consent"))
# No page to send the user to: the portal explains (acr_unmet_page) or, with prompt=none, answers.
UNMET_ACR = Step("", UnmetAuthenticationRequirements("the account has not reached the requested acr"))


async def next_step(
    db, auth: AuthorizationRequest, session: ActiveSession | None, first_party: bool,
    started: dt.datetime | None, progress: dict, required_level: int | None = None,
    seen_as: Callable[[str], str] = str,
) -> Step | None:
    """What the user must still do before a code is issued; None when nothing.

    Within an interaction, a login at or after its start satisfies prompt=login and max_age,
    so returning from the login page does not loop.
    """
    if session is None:
        return LOGIN
    fresh = started is not None and session.auth_time >= started
    if "login" in auth.prompt and not fresh:
        return LOGIN
    if auth.max_age is not None and not fresh:
        if (clock.now() - session.auth_time).total_seconds() > auth.max_age:
            return LOGIN
    if auth.hint_subject is not None and auth.hint_subject != seen_as(session.subject):  # the client's sub
        return LOGIN
    if "select_account" in auth.prompt and not progress.get("account_selected"):
        return SELECT_ACCOUNT
    if required_level is not None and session.account.realname_level < required_level:
        return UNMET_ACR
    needed = scopes_needing_consent(auth.consent_scope(), first_party)
    if "consent" in auth.prompt and not progress.get("consented"):
        return CONSENT
    if needed:
        consent = await db.scalar(
            select(Consent).where(Consent.account_id == session.account.id, Consent.client_id == auth.client_id)
        )
        if consent is None or not needed.issubset(consent.scopes):
            return CONSENT
    return None


async def issue_code(db, portal: Portal, auth: AuthorizationRequest, session: ActiveSession, acr: str) -> str:
    """A code of 256 random bits, stored by digest, bound to everything the token call checks."""
    code = new_token()
    connection = await db.connection()  # a Core INSERT, executed at once: no ORM object to flush
    await connection.execute(INSERT_CODE, dict(
        code_digest=digest(code), client_id=auth.client_id, account_id=session.account.id,
        agency_id=session.agency.id if session.agency else None, sid=session.sid,
        redirect_uri=auth.redirect_uri, scope=" ".join(auth.scope), nonce=auth.nonce,
        code_challenge=auth.code_challenge, claims=auth.claims, auth_time=session.auth_time,
        dpop_jkt=auth.dpop_jkt,
        acr=acr, amr=session.amr,
        expires_at=clock.now() + dt.timedelta(seconds=portal.settings.authorization_code_ttl_seconds),
        grant_id=new_token(), consumed_at=None,
    ))
    await record_session_client(db, session.sid, auth.client_id)
    return code

