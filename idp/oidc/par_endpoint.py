"""The pushed authorization request endpoint (RFC 9126 §2): the client authenticated as at the
token endpoint, the request validated and stored by :mod:`idp.oidc.par`."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request

from idp.errors import OAuthError
from idp.oidc.dpop import fresh_nonce, request_proof
from idp.oidc.json_endpoints import JSONResponse, authenticate, error_response, json_response, read_form
from idp.oidc.par import push
from idp.portal import Portal
from shared.exact_routes import plain_route

router = APIRouter()


@plain_route(router, "/par", ["POST"])
async def pushed_authorization_request(request: Request) -> JSONResponse:
    """§2.1 the request, §2.2 the answer (201, no-store), §2.3 errors as at the token endpoint."""
    portal: Portal = request.app.state.portal
    try:
        form = await read_form(request)  # a parameter sent twice is refused here (§2.1)
        client = await authenticate(portal, request, form, "/par")
        proof = await request_proof(portal, request, "/par")
        request_uri = await push(portal, client, form, proof.jkt if proof else None)
    except OAuthError as exc:
        return error_response(exc)
    return json_response({"request_uri": request_uri, "expires_in": portal.settings.par_ttl_seconds}, 201,
                         headers=fresh_nonce(portal.settings) if proof else None)
