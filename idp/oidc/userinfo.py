"""The UserInfo endpoint (OIDC Core §5.3): GET or POST, the token in the Authorization header
(RFC 6750 §2.1) or, for POST, in the form body (§2.2); never in the query string.

A DPoP-bound access token (``cnf.jkt``, RFC 9449 §6.1) is honoured only under the ``DPoP``
scheme with a proof of its key whose ``ath`` is the token's hash (§7.1); a bound token presented
as a bearer token is refused (§7.2), and so is an unbound one under the DPoP scheme."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request

from idp.clients.pairwise import seen_by
from idp.errors import InvalidRequest, InvalidToken, OAuthError
from idp.oidc import dpop
from idp.oidc.access_tokens import check_access_token_with_principal
from idp.oidc.claims import principal_claims
from idp.oidc.json_endpoints import JSONResponse, error_response, json_response
from idp.oidc.scopes import claims_for
from idp.portal import Portal
from shared.exact_routes import plain_route

router = APIRouter()


async def presented_token(request: Request) -> tuple[str, str]:
    """(scheme, token): "bearer" or "dpop" (RFC 9449 §7.1), from the header or a POSTed form."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    in_header = value.strip() if scheme in ("bearer", "dpop") and value.strip() else None
    in_body = None
    if request.method == "POST" and "application/x-www-form-urlencoded" in request.headers.get("content-type", ""):
        posted = (await request.form()).get("access_token")
        in_body = posted if isinstance(posted, str) and posted else None  # a file upload is no token
    if in_header and in_body:
        raise InvalidRequest("the access token was sent twice")
    if in_header:
        return scheme, in_header
    if not in_body:
        # RFC 6750 §3.1: a request without any credentials gets a challenge without an error code.
        raise InvalidToken("no access token was sent", headers={"WWW-Authenticate": 'Bearer realm="zwfw"'})
    return "bearer", in_body


async def check_binding(portal: Portal, request: Request, scheme: str, token: str, claims: dict) -> None:
    """RFC 9449 §7: the scheme fits the token's binding, and the proof is of its key."""
    bound_to = (claims.get("cnf") or {}).get("jkt") if isinstance(claims.get("cnf"), dict) else None
    if scheme == "bearer":
        if bound_to is not None:
            raise dpop.as_resource_error(InvalidToken("a DPoP-bound access token needs the DPoP scheme"))
        return
    if bound_to is None:
        raise InvalidToken("the access token is not DPoP-bound: use the Bearer scheme")
    value = dpop.proof_header(request.headers)
    if value is None:
        raise InvalidRequest("a DPoP proof is required")
    proof = await dpop.verify_proof(portal, value, method=request.method, endpoint="/userinfo", access_token=token)
    if proof.jkt != bound_to:
        raise InvalidToken("the proof is not of the key the access token is bound to")


@plain_route(router, "/userinfo", ["GET", "POST"])
async def userinfo(request: Request) -> JSONResponse:
    portal: Portal = request.app.state.portal
    scheme = "bearer"
    try:
        scheme, token = await presented_token(request)
        valid, principal = await check_access_token_with_principal(portal, token)
        if valid is None or valid.account_id is None:
            raise InvalidToken("the access token is invalid, expired or revoked")
        await check_binding(portal, request, scheme, token, valid.claims)
        if principal is None:
            raise InvalidToken("the account is no longer active")
        scope = str(valid.claims.get("scope", "")).split()
        if "openid" not in scope:
            raise InvalidToken("the access token was not issued for openid")
        client = await portal.client(str(valid.claims.get("client_id", "")))
        if client is None:
            raise InvalidToken("the client is no longer active")
        names = claims_for(scope, valid.grant_claims, "userinfo", client.scopes)
        seen_as = seen_by(portal.settings, client)  # the client's own sub: pairwise, OIDC Core §8.1
        body = {"sub": seen_as(principal.subject), **principal_claims(principal, names, seen_as)}
        return json_response(body, headers=dpop.fresh_nonce(portal.settings) if scheme == "dpop" else None)
    except OAuthError as exc:
        return error_response(dpop.as_resource_error(exc) if scheme == "dpop" else exc)
