"""Token introspection (RFC 7662), for authenticated clients only.

A client learns about its own tokens only; anything unknown, expired, revoked or another
client's is ``{"active": false}`` (§2.2), so no token's existence leaks. A DPoP-bound access token
shows its ``cnf`` and ``token_type: DPoP`` (RFC 9449 §6.2).
"""
from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func, select
from starlette.requests import Request

from idp import clock
from idp.accounts.models import Account
from idp.clients.pairwise import subject_for
from idp.clients.registry import ClientInfo
from idp.errors import InvalidClient, InvalidRequest, OAuthError
from idp.oidc.access_tokens import check_access_token
from idp.oidc.json_endpoints import JSONResponse, authenticate, error_response, json_response, plain_route, read_form
from idp.oidc.models import Grant, RefreshToken
from idp.portal import Portal
from idp.principals.models import Agency
from idp.security.tokens import digest

router = APIRouter()
INACTIVE = {"active": False}


@plain_route(router, "/introspect", ["POST"])
async def introspect(request: Request) -> JSONResponse:
    portal: Portal = request.app.state.portal
    try:
        form = await read_form(request)
        client = await authenticate(portal, request, form, "/introspect")
        if client.is_public:  # a bare client_id proves nothing (§2.1 requires authorization)
            raise InvalidClient("public clients cannot use introspection")
    except OAuthError as exc:
        return error_response(exc)
    token = form.get("token")
    if not token:
        return error_response(InvalidRequest("missing token"))
    async with portal.reader() as db:
        hint = form.get("token_type_hint")
        lookups = (_refresh_token, _access_token) if hint == "refresh_token" else (_access_token, _refresh_token)
        for lookup in lookups:
            body = await lookup(portal, db, token, client)
            if body is not None:
                if body.get("client_id") != client.client_id:
                    return json_response(INACTIVE)
                return json_response(body)
    return json_response(INACTIVE)


async def _access_token(portal: Portal, db, token: str, _client: ClientInfo) -> dict | None:
    if token.count(".") != 2:
        return None
    valid = await check_access_token(portal, db, token)
    if valid is None:
        return None
    c = valid.claims
    body = {"active": True, "token_type": "Bearer", "iss": c["iss"], "client_id": c["client_id"],
            "scope": c.get("scope", ""), "sub": c.get("sub"), "aud": c.get("aud"), "exp": c["exp"],
            "iat": c.get("iat"), "jti": c.get("jti")}
    if "auth_time" in c:
        body["auth_time"] = c["auth_time"]
    if isinstance(c.get("cnf"), dict):  # RFC 9449 §6.2: the resource server checks the proof's key
        body["cnf"] = c["cnf"]
        body["token_type"] = "DPoP"
    return body


async def _refresh_token(portal: Portal, db, token: str, client: ClientInfo) -> dict | None:
    row = (
        await db.execute(
            select(RefreshToken, Grant.revoked_at, func.coalesce(Agency.subject, Account.subject), Account.disabled_at)
            .join(Grant, Grant.id == RefreshToken.grant_id)
            .outerjoin(Account, Account.id == Grant.account_id)
            .outerjoin(Agency, Agency.id == Grant.agency_id)
            .where(RefreshToken.token_digest == digest(token))
        )
    ).first()
    if row is None:
        return None
    refresh, grant_revoked, subject, disabled_at = row
    # Active exactly when the token endpoint would honour it (RFC 7662 §2.2).
    if refresh.consumed_at or refresh.revoked_at or grant_revoked or refresh.expires_at <= clock.now():
        return None
    if subject is None or disabled_at is not None:
        return None
    return {"active": True, "token_type": "refresh_token", "iss": portal.settings.issuer,
            "client_id": refresh.client_id, "sub": subject_for(portal.settings, client, subject),
            "scope": refresh.scope,
            "exp": clock.epoch(refresh.expires_at), "iat": clock.epoch(refresh.created_at)}
