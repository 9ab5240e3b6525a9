"""The token endpoint (RFC 6749 §3.2): read the form, authenticate the client, choose the grant,
check a DPoP proof, run the grant, answer. Every response carries ``Cache-Control: no-store``.

Grants, one module each: authorization_code (idp.oidc.code_grant), refresh_token
(idp.oidc.refresh_grant), client_credentials (idp.oidc.client_credentials_grant). A DPoP proof
(RFC 9449 §5, idp.oidc.dpop) binds what is issued to the client's key. A plain Starlette route:
nothing runs between the request and these steps but the middleware."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from starlette.requests import Request

from idp.audit.log import record
from idp.clients.authentication import ClientAuthFailed
from idp.clients.registry import ClientInfo
from idp.errors import InvalidRequest, OAuthError, UnauthorizedClient, UnsupportedGrantType, UseDpopNonce
from idp.oidc import dpop
from idp.oidc.client_address import client_ip
from idp.oidc.client_credentials_grant import issue_client_token
from idp.oidc.code_grant import exchange_code
from idp.oidc.json_endpoints import JSONResponse, authenticate, error_response, json_response, read_form
from idp.oidc.refresh_grant import refresh
from idp.oidc.token_request import RefusalRecorded, TokenRequest, refusal_fields
from idp.portal import Portal
from shared.exact_routes import plain_route

router = APIRouter()
GrantHandler = Callable[[TokenRequest], Awaitable[dict]]
GRANTS: dict[str, GrantHandler] = {
    "authorization_code": exchange_code,
    "refresh_token": refresh,
    "client_credentials": issue_client_token,
}


@plain_route(router, "/token", ["POST"])
async def token(request: Request) -> JSONResponse:
    portal: Portal = request.app.state.portal
    form: dict[str, str] = {}
    client: ClientInfo | None = None
    try:
        form = await read_form(request)
        client = await authenticate(portal, request, form, "/token")
        grant = choose_grant(client, form)
        proof = await dpop.request_proof(portal, request, "/token")
        body = await grant(TokenRequest(portal, client, form, client_ip(request), proof.jkt if proof else None))
        return json_response(body, headers=dpop.fresh_nonce(portal.settings) if proof else None)
    except ClientAuthFailed as exc:  # recorded as client.authentication_failed by authenticate()
        return error_response(exc)
    except UseDpopNonce as exc:  # RFC 9449 §8: the usual first answer to a DPoP client, no refusal
        return error_response(exc)
    except RefusalRecorded as refusal:  # in the grant's own transaction
        return error_response(refusal.error)
    except OAuthError as exc:
        await record_refusal_alone(portal, request, exc, client, form)
        return error_response(exc)


def choose_grant(client: ClientInfo, form: dict[str, str]) -> GrantHandler:
    grant_type = form.get("grant_type")
    if grant_type is None:
        raise InvalidRequest("missing grant_type")
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise UnsupportedGrantType(f"unsupported grant_type {grant_type}")
    if grant_type not in client.grant_types:
        raise UnauthorizedClient(f"the client may not use {grant_type}")
    return grant


async def record_refusal_alone(portal: Portal, request: Request, exc: OAuthError, client: ClientInfo | None,
                               form: dict[str, str]) -> None:
    """A refusal before any grant's transaction began (no grant_type, a bad proof, a scope the
    client may not ask for): its token.refused event in a transaction of its own."""
    async with portal.sessionmaker.begin() as db:
        record(db, "token.refused", **refusal_fields(
            exc, actor=client.client_id if client else None,
            client_id=client.client_id if client else form.get("client_id"),
            grant_type=form.get("grant_type"), source_ip=client_ip(request)))
