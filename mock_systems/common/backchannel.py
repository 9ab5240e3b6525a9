"""The back-channel logout receiver (OIDC Back-Channel Logout 1.0 §2.5–2.8): the portal posts
a logout token when a portal session ends; every session here that came from that portal
session (``sid``) ends with it. Delivering the same token again changes nothing."""
from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from mock_systems.common.context import SystemContext
from mock_systems.common.portal_client import PortalError
from mock_systems.common.sessions import end_portal_sessions
from mock_systems.common.tokens import TokenRefused, verify_logout_token

router = APIRouter()
log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}


@router.post("/auth/backchannel-logout")
async def backchannel_logout(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    form = await request.form()
    token = form.get("logout_token")
    if not isinstance(token, str) or not token:
        return _refused("no logout_token")
    try:
        claims = await verify_logout_token(system.portal, system.settings, token)
    except TokenRefused as exc:
        log.warning("%s: logout token refused: %s", system.profile.client_id, exc)
        return _refused(str(exc))
    except PortalError as exc:  # the JWKS could not be read: the portal will retry
        log.warning("%s: logout token not verified yet: %s", system.profile.client_id, exc)
        return JSONResponse({"error": "temporarily_unavailable"}, status_code=503, headers=NO_STORE)
    async with system.sessionmaker.begin() as db:
        ended = await end_portal_sessions(db, issuer=system.settings.issuer, sid=claims.get("sid"),
                                          subject=claims.get("sub"))
    log.info("%s: back-channel logout ended %d session(s)", system.profile.client_id, ended)
    return Response(status_code=200, headers=NO_STORE)


def _refused(description: str) -> JSONResponse:
    """§2.8: 400, with an error code and a printable ASCII description."""
    description = "".join(c for c in description if c.isascii() and c.isprintable() and c not in "\"\\")
    return JSONResponse({"error": "invalid_request", "error_description": description[:200]},
                        status_code=400, headers=NO_STORE)
