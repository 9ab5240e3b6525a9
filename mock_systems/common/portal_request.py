"""Sending the browser to the portal: the authorization request (OIDC Core §3.1.2.1, PKCE S256),
its state, nonce and verifier kept for the callback (portal_login.py)."""
from __future__ import annotations

import datetime as dt
import secrets

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.models import PendingLogin
from mock_systems.common.pages import message_page
from mock_systems.common.portal_client import PortalError
from mock_systems.common.security import digest, new_token, pkce_challenge
from mock_systems.common.sessions import ensure_session, set_cookie
from shared.messages import text


async def send_to_portal(request: Request, system: SystemContext, *, return_to: str = "/",
                         binding_id: str | None = None, prompt: str | None = None,
                         scope: str | None = None) -> Response:
    """The authorization request (OIDC Core §3.1.2.1), its state, nonce and verifier kept for the
    callback; ``binding_id`` marks the silent login that checks a binding's subject."""
    state, nonce, verifier = new_token(), new_token(), secrets.token_urlsafe(64)
    extra = {"prompt": prompt} if prompt else {}
    try:
        url = await system.portal.authorization_url(
            response_type="code", client_id=system.settings.client_id,
            redirect_uri=system.settings.endpoint("/auth/callback"), scope=scope or system.settings.scope, state=state,
            nonce=nonce, code_challenge=pkce_challenge(verifier), code_challenge_method="S256", **extra)
    except PortalError as exc:
        return message_page(system, text("system.login.portal_unavailable"), 502, str(exc))
    now = utcnow()
    async with system.sessionmaker.begin() as db:
        session, new_cookie = await ensure_session(db, system, request)
        db.add(PendingLogin(state_digest=digest(state), issuer=system.settings.issuer,
                            session_digest=session.id_digest, nonce=nonce,
                            code_verifier=verifier, return_to=return_to, binding_id=binding_id, created_at=now,
                            expires_at=now + dt.timedelta(seconds=system.settings.login_ttl_seconds)))
    response = RedirectResponse(url, status_code=303)
    if new_cookie:
        set_cookie(response, system, new_cookie)
    return response
