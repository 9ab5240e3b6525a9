"""Token introspection (RFC 7662), for authenticated clients only.

A client learns about its own tokens only; anything unknown, expired, revoked or another
client's is ``{"active": false}`` (§2.2), so no token's existence leaks. A DPoP-bound access token
shows its ``cnf`` and ``token_type: DPoP`` (RFC 9449 §6.2).
"""
from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import bindparam, func, select
from starlette.requests import Request

from idp import clock
from idp.clients.pairwise import subject_for
from idp.clients.registry import ClientInfo
from idp.db.engine import read_row
from idp.errors import InvalidClient, InvalidRequest, OAuthError
from idp.oidc.access_tokens import check_access_token
from idp.oidc.json_endpoints import JSONResponse, authenticate, error_response, json_response, read_form
from idp.oidc.models import Grant, RefreshToken
from idp.portal import Portal
from idp.principals.columns import ACCOUNTS, AGENCIES
from idp.security.tokens import digest
from shared.exact_routes import plain_route

router = APIRouter()
INACTIVE = {"active": False}

REFRESH_TOKENS = RefreshToken.__table__
GRANTS = Grant.__table__
# Built once, run on a reader connection without an ORM session (as the access token's check).
REFRESH_TOKEN_STATE = (
    select(REFRESH_TOKENS.c.consumed_at, REFRESH_TOKENS.c.revoked_at, REFRESH_TOKENS.c.expires_at,
           REFRESH_TOKENS.c.created_at, REFRESH_TOKENS.c.client_id, REFRESH_TOKENS.c.scope,
           GRANTS.c.revoked_at.label("grant_revoked_at"),
           func.coalesce(AGENCIES.c.subject, ACCOUNTS.c.subject).label("subject"), ACCOUNTS.c.disabled_at)
    .select_from(REFRESH_TOKENS)
    .join(GRANTS, GRANTS.c.id == REFRESH_TOKENS.c.grant_id)
    .outerjoin(ACCOUNTS, ACCOUNTS.c.id == GRANTS.c.account_id)
    .outerjoin(AGENCIES, AGENCIES.c.id == GRANTS.c.agency_id)
    .where(REFRESH_TOKENS.c.token_digest == bindparam("digest"))
)


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
    hint = form.get("token_type_hint")
    lookups = (refresh_token, access_token) if hint == "refresh_token" else (access_token, refresh_token)
    for lookup in lookups:
        body = await lookup(portal, token, client)
        if body is not None:
            if body.get("client_id") != client.client_id:
                return json_response(INACTIVE)
            return json_response(body)
    return json_response(INACTIVE)


async def access_token(portal: Portal, token: str, _client: ClientInfo) -> dict | None:
    if token.count(".") != 2:
        return None
    valid = await check_access_token(portal, token)
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


async def refresh_token(portal: Portal, token: str, client: ClientInfo) -> dict | None:
    row, _ = await read_row(portal.engines[1], REFRESH_TOKEN_STATE, {"digest": digest(token)})
    if row is None:
        return None
    # Active exactly when the token endpoint would honour it (RFC 7662 §2.2).
    if row.consumed_at or row.revoked_at or row.grant_revoked_at or row.expires_at <= clock.now():
        return None
    if row.subject is None or row.disabled_at is not None:
        return None
    return {"active": True, "token_type": "refresh_token", "iss": portal.settings.issuer,
            "client_id": row.client_id, "sub": subject_for(portal.settings, client, row.subject),
            "scope": row.scope, "exp": clock.epoch(row.expires_at), "iat": clock.epoch(row.created_at)}
