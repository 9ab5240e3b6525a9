"""Logging out of the portal ends the upstream's session too, when the login came from there and
the upstream supports RP-Initiated Logout 1.0 (``end_session_endpoint`` in its discovery): the
browser goes to it with the last ID token of the link as ``id_token_hint``, our ``client_id`` and
``post_logout_redirect_uri`` <issuer>/logged-out (§2, §3). The portal's own session has ended by
then; an upstream that cannot be reached leaves the user logged out of the portal all the same.

When a business system's logout asked to come back to it (its post_logout_redirect_uri and
state), the way back waits in a flow bound to this browser whose id is the ``state`` sent
upstream (§3 echoes it), so /logged-out continues to the system once the upstream is done."""
from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from idp.errors import PageError
from idp.flows import store
from idp.flows.models import Flow
from idp.flows.upstream import client
from idp.flows.upstream.transitions import AMR_FEDERATED
from idp.portal import Portal
from idp.sessions.store import ActiveSession
from idp.upstream_links.transitions import links_of_account

LOGGED_OUT_PATH = "/logged-out"
LOGOUT_RETURN = "upstream_logout"  # the flow kind of a system's way back
SENT = "sent"


def remember_return(db: AsyncSession, browser: str, redirect: str, state: str | None) -> Flow:
    """The system's post_logout_redirect_uri (already checked) and state, for after the upstream."""
    return store.start_flow(db, LOGOUT_RETURN, SENT, browser, {"redirect": redirect, "state": state})


async def take_return(db: AsyncSession, portal: Portal, request: Request,
                      flow_id: str) -> tuple[str, str | None] | None:
    """The way back of this browser's logout, once; None when there is none (or it is gone)."""
    try:
        flow = await store.load_flow(db, portal.settings, request, flow_id, LOGOUT_RETURN)
        await store.advance(db, flow, expected=SENT, to="done", finish=True)
    except PageError:
        return None
    return flow.data["redirect"], flow.data.get("state")


async def upstream_logout_url(portal: Portal, session: ActiveSession) -> str | None:
    """Where the browser goes after the portal's logout; None: nowhere upstream."""
    settings = portal.settings
    if AMR_FEDERATED not in (session.amr or []) or not settings.upstream_enabled:
        return None
    try:
        upstream = await client.discover(settings)
    except client.UpstreamError:
        return None
    if not upstream.end_session_endpoint:
        return None
    async with portal.reader() as db:
        links = [row for row in await links_of_account(db, session.account.id) if row.upstream == upstream.issuer]
    params = {"client_id": settings.upstream_client_id, "post_logout_redirect_uri": settings.endpoint(LOGGED_OUT_PATH)}
    if links and links[0].id_token:
        params["id_token_hint"] = links[0].id_token
    separator = "&" if "?" in upstream.end_session_endpoint else "?"
    return upstream.end_session_endpoint + separator + urlencode(params)
