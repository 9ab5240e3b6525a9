"""The UserInfo endpoint (OIDC Core §5.3): GET or POST, the token in the Authorization header
(RFC 6750 §2.1) or, for POST, in the form body (§2.2); never in the query string."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from idp.errors import InvalidRequest, InvalidToken, OAuthError
from idp.oidc.access_tokens import check_access_token_with_principal
from idp.oidc.claims import principal_claims
from idp.oidc.json_endpoints import error_response, json_response
from idp.oidc.scopes import claims_for
from idp.portal import Portal

router = APIRouter()


async def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    in_header = header[7:].strip() if header.lower().startswith("bearer ") else None
    in_body = None
    if request.method == "POST" and "application/x-www-form-urlencoded" in request.headers.get("content-type", ""):
        value = (await request.form()).get("access_token")
        in_body = value if isinstance(value, str) and value else None  # a file upload is no token
    if in_header and in_body:
        raise InvalidRequest("the access token was sent twice")
    token = in_header or in_body
    if not token:
        # RFC 6750 §3.1: a request without any credentials gets a challenge without an error code.
        raise InvalidToken("no access token was sent", headers={"WWW-Authenticate": 'Bearer realm="zwfw"'})
    return token


@router.api_route("/userinfo", methods=["GET", "POST"])
async def userinfo(request: Request) -> JSONResponse:
    portal: Portal = request.app.state.portal
    try:
        token = await bearer_token(request)
        async with portal.reader() as db:
            valid, principal = await check_access_token_with_principal(portal, db, token)
        if valid is None or valid.account_id is None:
            raise InvalidToken("the access token is invalid, expired or revoked")
        if principal is None:
            raise InvalidToken("the account is no longer active")
        scope = str(valid.claims.get("scope", "")).split()
        if "openid" not in scope:
            raise InvalidToken("the access token was not issued for openid")
        client = await portal.client(str(valid.claims.get("client_id", "")))
        if client is None:
            raise InvalidToken("the client is no longer active")
        names = claims_for(scope, valid.grant_claims, "userinfo", client.scopes)
        body = {"sub": principal.subject, **principal_claims(principal, names)}
        return json_response(body)
    except OAuthError as exc:
        return error_response(exc)
