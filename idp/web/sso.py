"""Third-party-initiated login (OIDC Core §4): the portal sends a logged-in user to a client's
registered initiate_login_uri with ``iss`` and ``target_link_uri``; the client then starts an
ordinary code flow, which completes silently on the existing portal session."""
from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from idp.bindings import calls
from idp.bindings.transitions import live_binding
from idp.portal import Portal
from idp.principals.principal import Principal
from idp.sessions.store import load_session
from idp.web.pages import error_page, render
from idp.web.space.binding_rows import unavailable_page
from shared.messages import text

router = APIRouter()


@router.get("/sso/{client_id}")
async def initiate_login(request: Request, client_id: str) -> Response:
    portal: Portal = request.app.state.portal
    client = await portal.client(client_id)
    if client is None or not client.initiate_login_uri:
        return error_page("sso.not_supported", 404, "no initiate_login_uri")
    async with portal.sessionmaker.begin() as db:
        session = await load_session(db, portal.settings, request)
    if session is None:
        # After the login, come back here and go on to the system (a local path only).
        return_to = "/sso/" + quote(client_id, safe="")
        return RedirectResponse("/login?" + urlencode({"return_to": return_to}), status_code=303)
    if client.binding_start_uri and not await _bound(portal, session.principal, client_id):
        # A system that takes part in 授权绑定 knows the user only through a binding: without
        # an active one its login would fail there; say so here and point to 我的绑定.
        # An agent cannot bind in 我的绑定: its enterprise authorizes it (经办人授权).
        message = "binding.agent_sso_unbound" if session.principal.is_agent else "binding.sso_unbound"
        return render("bindings/not_bound.html", status_code=403, client_name=client.display_name,
                      message=text(message, system=client.display_name), agent=session.principal.is_agent)
    if not await calls.reachable(portal, client):
        return unavailable_page(client)
    # No login_hint: the user is already logged in here, and a subject is no username to pre-fill.
    params = {"iss": portal.settings.issuer, "target_link_uri": home_page(client.initiate_login_uri)}
    separator = "&" if "?" in client.initiate_login_uri else "?"
    return RedirectResponse(client.initiate_login_uri + separator + urlencode(params), status_code=303)


def home_page(initiate_login_uri: str) -> str:
    """Where the system should land the user after its login: the root of its own site, which
    passes its open-redirect check (§4) — never its callback, which would fail without a code."""
    parts = urlsplit(initiate_login_uri)
    return f"{parts.scheme}://{parts.netloc}/"


async def _bound(portal: Portal, principal: Principal, client_id: str) -> bool:
    """Bound in the session's capacity: an agent reaches only what its enterprise authorized."""
    async with portal.reader() as db:
        binding = await live_binding(db, principal.account.id, client_id, principal.agency_id)
    return binding is not None and binding.state == "active"
