"""OpenID Connect RP-Initiated Logout 1.0 (the end_session_endpoint), GET and POST.

Redirect only to a post_logout_redirect_uri registered exactly for the client named by a valid
id_token_hint (an ID token of this provider: idp.oidc.id_token_hint), echoing ``state``. An
unexpired hint for the current session logs out at once; otherwise (no hint, an expired one, one
of another session) the user confirms on a page (a CSRF-protected form). Bad input: a page, no
redirect, no session ended.
"""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from idp import clock
from idp.clients.models import Client
from idp.flows.upstream.logout import LOGGED_OUT_PATH, remember_return, take_return, upstream_logout_url
from idp.oidc.id_token_hint import InvalidIdTokenHint, verify_id_token_hint
from idp.oidc.logout.single_logout import end_session_everywhere
from idp.portal import Portal
from idp.security.tokens import constant_time_equal
from idp.sessions.browser_bound import browser_token
from idp.sessions.store import browser_cookie_name, load_session, session_cookie_name, set_cookie
from idp.web.kit import client_ip
from idp.web.pages import error_page, render

router = APIRouter()
END_SESSION_PARAMETERS = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id", "ui_locales")


@router.api_route("/logout", methods=["GET", "POST"])
async def logout(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    items = request.query_params if request.method == "GET" else await request.form()
    params = {k: v for k, v in items.items() if isinstance(v, str) and v}  # a file upload is no value
    hint = None
    if "id_token_hint" in params:
        try:
            hint = verify_id_token_hint(await portal.key_ring(), portal.settings.issuer, params["id_token_hint"],
                                        clock.epoch(clock.now()))
        except InvalidIdTokenHint as exc:
            return error_page("logout.hint_invalid", 400, f"invalid id_token_hint: {exc}")
    redirect = None
    if "post_logout_redirect_uri" in params:
        client_id = hint.client_id if hint is not None else None
        if client_id is None or params.get("client_id", client_id) != client_id:
            return error_page("logout.redirect_unverified", 400, "post_logout_redirect_uri needs a valid id_token_hint")
        client = await portal.client(client_id)
        if client is None or params["post_logout_redirect_uri"] not in client.post_logout_redirect_uris:
            return error_page("logout.redirect_mismatch", 400, "unregistered post_logout_redirect_uri")
        redirect = params["post_logout_redirect_uri"]
    async with portal.sessionmaker.begin() as db:
        session = await load_session(db, portal.settings, request)
    if session is None:
        if request.method == "POST" and "resubmitted" not in params \
                and session_cookie_name(portal.settings) not in request.cookies:
            return _post_again(params)
        return _finished(redirect, params.get("state"))
    # Only a current ID token of this very session vouches for the request; an expired one
    # (RP-Initiated Logout §4 accepts it) still names the client, but the user confirms.
    if hint is not None and not hint.expired and hint.sid == session.sid:
        upstream = await upstream_logout_url(portal, session)
        await end_session_everywhere(portal, session.sid, reason="rp_initiated", source_ip=client_ip(request))
        return await _then(request, portal, upstream, redirect, params.get("state"))
    return render("logout_confirm.html", csrf_token=session.csrf_secret, account=session.account,
                  redirect=redirect or "", state=params.get("state", ""))


@router.post("/logout/confirm")
async def confirm(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    form = await request.form()
    async with portal.sessionmaker.begin() as db:
        session = await load_session(db, portal.settings, request)
    if session is None:
        # Nothing vouches for the form (no session, no CSRF secret): do not let it steer a redirect.
        return _finished(None, None)
    if not constant_time_equal(str(form.get("csrf_token", "")), session.csrf_secret):
        return error_page("page.expired", 403, "CSRF token mismatch")
    if form.get("action") != "logout":
        return render("logged_out.html", logged_out=False)
    # The redirect target was checked before the confirmation page rendered it; check again.
    redirect = str(form.get("redirect", "")) or None
    if redirect is not None and not await _registered_anywhere(portal, redirect):
        redirect = None
    upstream = await upstream_logout_url(portal, session)
    await end_session_everywhere(portal, session.sid, reason="user_confirmed", source_ip=client_ip(request))
    return await _then(request, portal, upstream, redirect, str(form.get("state", "")) or None)


async def _then(request: Request, portal: Portal, upstream: str | None, redirect: str | None,
                state: str | None) -> Response:
    """After the portal's session ended: a login through 国家政务服务平台 ends there too (then back
    to /logged-out, and on to the system that asked, if one did); else straight on."""
    if upstream is None:
        return _finished(redirect, state)
    if redirect is None:
        return RedirectResponse(upstream, status_code=303)
    browser, is_new = browser_token(request, portal.settings)
    async with portal.sessionmaker.begin() as db:
        flow = remember_return(db, browser, redirect, state)
    response = RedirectResponse(upstream + "&" + urlencode({"state": flow.id}), status_code=303)
    if is_new:
        set_cookie(response, portal.settings, browser_cookie_name(portal.settings), browser, None)
    return response


@router.get(LOGGED_OUT_PATH)
async def logged_out(request: Request, state: str = "") -> Response:
    """Where the upstream sends the browser back after its own logout; on to the system whose
    logout it was, if one asked (its state back with it)."""
    portal: Portal = request.app.state.portal
    if state:
        async with portal.sessionmaker.begin() as db:
            way_back = await take_return(db, portal, request, state)
        if way_back is not None:
            return _finished(*way_back)
    return render("logged_out.html", logged_out=True)


async def _registered_anywhere(portal: Portal, uri: str) -> bool:
    async with portal.reader() as db:
        for uris in (await db.scalars(select(Client.post_logout_redirect_uris))).all():
            if uri in (uris or []):
                return True
    return False


def _post_again(params: dict[str, str]) -> Response:
    """A cross-site form POST (a business system's logout page) carries no SameSite=Lax session
    cookie, so "no session" may only mean "not sent": our own page posts the request again,
    now same-site with the cookie, once (``resubmitted`` stops a second round)."""
    fields = {name: params[name] for name in END_SESSION_PARAMETERS if name in params}
    return render("logout_resubmit.html", fields={**fields, "resubmitted": "1"})


def _finished(redirect: str | None, state: str | None) -> Response:
    if redirect is None:
        return render("logged_out.html", logged_out=True)
    query = urlencode({"state": state}) if state is not None else ""
    separator = "&" if "?" in redirect else "?"
    return RedirectResponse(redirect + (separator + query if query else ""), status_code=303)

