"""The token endpoint (RFC 6749 §3.2): authenticate the client, dispatch on grant_type.

Every response carries ``Cache-Control: no-store``. Grants: authorization_code (§4.1.3 with
RFC 7636 §4.6), refresh_token (§6, rotated; reuse revokes the family, RFC 9700 §4.14.2),
client_credentials (§4.4). A DPoP proof (RFC 9449 §5, idp.oidc.dpop) binds what is issued to
the client's key; a code requested with ``dpop_jkt`` (§10) or a DPoP-bound refresh token is
honoured with a proof of that key only.
"""
from __future__ import annotations

import base64
import hashlib

from fastapi import APIRouter
from sqlalchemy import bindparam, or_, select, update
from starlette.requests import Request

from idp import clock
from idp.audit.log import record, record_now
from idp.clients.authentication import ClientAuthFailed
from idp.clients.registry import ClientInfo
from idp.errors import (
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    OAuthError,
    UnauthorizedClient,
    UnsupportedGrantType,
    UseDpopNonce,
)
from idp.oidc import dpop
from idp.oidc.client_address import client_ip
from idp.oidc.json_endpoints import JSONResponse, authenticate, error_response, json_response, plain_route, read_form
from idp.oidc.models import AuthorizationCode, Grant, RefreshToken
from idp.oidc.tokens import TokenMinter, insert_grant, new_grant, revoke_grant
from idp.portal import Portal
from idp.principals.principal import load_principal
from idp.security.tokens import constant_time_equal, digest

router = APIRouter()
async def in_transaction(portal: Portal, work):
    """Run ``work(db)`` in one transaction that commits even when it raises an OAuthError:
    a consumed code or a revoked family must stay so although the request fails."""
    failure: OAuthError | None = None
    async with portal.sessionmaker.begin() as db:
        try:
            return await work(db)
        except OAuthError as exc:
            failure = exc
    raise failure


@plain_route(router, "/token", ["POST"])
async def token(request: Request) -> JSONResponse:
    portal: Portal = request.app.state.portal
    form: dict[str, str] = {}
    client: ClientInfo | None = None
    try:
        form = await read_form(request)
        client = await authenticate(portal, request, form, "/token")
        grant_type = form.get("grant_type")
        if grant_type is None:
            raise InvalidRequest("missing grant_type")
        handler = GRANTS.get(grant_type)
        if handler is None:
            raise UnsupportedGrantType(f"unsupported grant_type {grant_type}")
        if grant_type not in client.grant_types:
            raise UnauthorizedClient(f"the client may not use {grant_type}")
        proof = await dpop.request_proof(portal, request, "/token")
        body = await handler(portal, request, client, form, proof.jkt if proof else None)
        return json_response(body, headers=dpop.fresh_nonce(portal.settings) if proof else None)
    except ClientAuthFailed as exc:  # recorded as client.authentication_failed by authenticate()
        return error_response(exc)
    except UseDpopNonce as exc:  # RFC 9449 §8: the usual first answer to a DPoP client, no refusal
        return error_response(exc)
    except OAuthError as exc:
        await record_refusal(portal, request, exc, client, form)
        return error_response(exc)


async def record_refusal(portal: Portal, request: Request, exc: OAuthError, client: ClientInfo | None,
                         form: dict[str, str]) -> None:
    """token.refused: no token was issued, and why (the error code the client was sent)."""
    async with portal.sessionmaker.begin() as db:
        await record_now(db, "token.refused", outcome="failure", actor=client.client_id if client else None,
                         client_id=client.client_id if client else form.get("client_id"),
                         source_ip=client_ip(request), error=exc.error,
                         grant_type=(form.get("grant_type") or "")[:64] or None,
                         reason=(exc.description or "")[:200] or None)


async def authorization_code_grant(portal: Portal, request: Request, client: ClientInfo, form: dict,
                                   jkt: str | None) -> dict:
    code = form.get("code")
    if not code:
        raise InvalidRequest("missing code")

    async def work(db) -> dict:
        row = await claim_code(db, digest(code), client.client_id)
        if row is None:
            await handle_code_replay(db, digest(code), client, form, request)
            raise InvalidGrant("the code is invalid, expired or already used")
        check_code(row, client, form)
        if row.dpop_jkt is not None and row.dpop_jkt != jkt:  # RFC 9449 §10
            raise InvalidGrant("the code is bound to another DPoP key")
        principal = await load_principal(db, row.account_id, row.agency_id)
        if principal is None:
            raise InvalidGrant("the account is no longer active")
        grant = new_grant(
            grant_id=row.grant_id, client_id=client.client_id, account_id=principal.account.id,
            agency_id=principal.agency_id, scope=row.scope.split(),
            sid=row.sid, auth_time=row.auth_time, acr=row.acr, amr=row.amr, claims=row.claims,
        )
        await insert_grant(db, grant)  # before the tokens, which reference it
        minter = TokenMinter(db, portal.settings, await portal.key_ring())
        with_refresh = "offline_access" in row.scope.split() and "refresh_token" in client.grant_types
        body = await minter.token_response(client, grant, principal, nonce=row.nonce, with_refresh=with_refresh,
                                           jkt=jkt)
        await record_now(db, "token.issued", actor=principal.subject, client_id=client.client_id,
               source_ip=client_ip(request), grant_type="authorization_code", subject=principal.account.subject)
        return body

    return await in_transaction(portal, work)


# The two redemptions, built once with bound values. A value written in .values() gets a type
# object of its own on every call, whose cache key SQLAlchemy rebuilds by introspecting the
# class: 7 % of a code exchange's Python time; a bindparam takes the column's type instead.
# (Bound names must differ from column names in an UPDATE: hence the b_ prefix.)
# synchronize_session=False: each runs first in a fresh session, so no loaded object can need
# the new value, and the default ("auto") compiled the WHERE clause into a Python evaluator
# on every call (≈ 7 % of a code exchange's Python time).
CLAIM_CODE = (
    update(AuthorizationCode)
    .where(
        AuthorizationCode.code_digest == bindparam("b_code_digest"),
        AuthorizationCode.client_id == bindparam("b_client_id"),
        AuthorizationCode.consumed_at.is_(None),
        AuthorizationCode.expires_at > bindparam("b_now"),
    )
    .values(consumed_at=bindparam("b_consumed_at"))
    .returning(AuthorizationCode)
    .execution_options(synchronize_session=False)
)
REDEEM_REFRESH_TOKEN = (
    update(RefreshToken)
    .where(
        RefreshToken.token_digest == bindparam("b_token_digest"),
        RefreshToken.client_id == bindparam("b_client_id"),
        RefreshToken.consumed_at.is_(None),
        RefreshToken.revoked_at.is_(None),
        RefreshToken.expires_at > bindparam("b_now"),
        # RFC 9449 §5: a bound token is found only with a proof of its key (not used up by another).
        or_(RefreshToken.dpop_jkt.is_(None), RefreshToken.dpop_jkt == bindparam("b_jkt")),
    )
    .values(consumed_at=bindparam("b_consumed_at"))
    .returning(RefreshToken)
    .execution_options(synchronize_session=False)
)


async def claim_code(db, code_digest: str, client_id: str) -> AuthorizationCode | None:
    """Single use, atomically (one UPDATE … RETURNING): of N concurrent redemptions one wins."""
    now = clock.now()
    result = await db.execute(CLAIM_CODE, {"b_code_digest": code_digest, "b_client_id": client_id, "b_now": now,
                                           "b_consumed_at": now})
    return result.scalars().first()


async def handle_code_replay(db, code_digest: str, client: ClientInfo, form: dict, request: Request) -> None:
    """A used code presented again by its own client: revoke what the first use issued
    (RFC 6749 §4.1.2). Another client's attempt, or a replay with parameters that would have
    failed anyway (a wrong redirect_uri or code_verifier), revokes nothing: a leaked used code
    alone must not let anyone end the user's tokens (O21, a denial-of-service guard)."""
    row = await db.scalar(select(AuthorizationCode).where(AuthorizationCode.code_digest == code_digest))
    if row is None or row.client_id != client.client_id or row.consumed_at is None:
        return
    try:
        check_code(row, client, form)
    except OAuthError:
        return
    if await revoke_grant(db, row.grant_id, "code_reuse"):
        record(db, "authorization.code_reused", outcome="failure", client_id=client.client_id,
               source_ip=client_ip(request), grant_id=row.grant_id)


def check_code(row: AuthorizationCode, client: ClientInfo, form: dict) -> None:
    redirect_uri = form.get("redirect_uri")
    if redirect_uri is not None and redirect_uri != row.redirect_uri:
        raise InvalidGrant("redirect_uri does not match the authorization request")
    # Omitted, it can only mean the one registered URI; a loopback port chosen at run time
    # (RFC 8252 §7.3) is no registered URI, so the request must name it (RFC 6749 §4.1.3).
    if redirect_uri is None and (len(client.redirect_uris) > 1 or row.redirect_uri not in client.redirect_uris):
        raise InvalidRequest("missing redirect_uri")
    verifier = form.get("code_verifier")
    if row.code_challenge is None:
        if verifier is not None:  # the PKCE downgrade defence (RFC 9700 §4.8.2)
            raise InvalidRequest("code_verifier sent for a code issued without code_challenge")
        return
    if verifier is None:
        raise InvalidRequest("missing code_verifier")
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest()).rstrip(b"=")
    if not constant_time_equal(expected.decode(), row.code_challenge):
        raise InvalidGrant("code_verifier does not match code_challenge")


async def refresh_token_grant(portal: Portal, request: Request, client: ClientInfo, form: dict,
                              jkt: str | None) -> dict:
    token = form.get("refresh_token")
    if not token:
        raise InvalidRequest("missing refresh_token")

    async def work(db) -> dict:
        now = clock.now()
        result = await db.execute(REDEEM_REFRESH_TOKEN, {"b_token_digest": digest(token),
                                                         "b_client_id": client.client_id,
                                                         "b_now": now, "b_consumed_at": now, "b_jkt": jkt})
        old = result.scalars().first()
        if old is None:
            await handle_refresh_replay(db, digest(token), client, request)
            raise InvalidGrant("the refresh token is invalid, expired or already used")
        grant = await db.get(Grant, old.grant_id)
        if grant is None or grant.revoked_at is not None:
            raise InvalidGrant("the grant was revoked")
        principal = await load_principal(db, grant.account_id, grant.agency_id)
        if principal is None:
            raise InvalidGrant("the account is no longer active")
        scope = narrowed_scope(old.scope, form.get("scope"))
        minter = TokenMinter(db, portal.settings, await portal.key_ring())
        view = Grant(**{c: getattr(grant, c) for c in ("id", "client_id", "account_id", "agency_id", "sid", "claims",
                                                         "auth_time", "acr", "amr")}, scope=" ".join(scope))
        body = await minter.token_response(client, view, principal, jkt=jkt)
        body["refresh_token"] = await minter.refresh_token(client, grant, old.scope, old.dpop_jkt)
        await record_now(db, "token.refreshed", actor=principal.subject, client_id=client.client_id,
               source_ip=client_ip(request), subject=principal.account.subject)
        return body

    return await in_transaction(portal, work)


async def handle_refresh_replay(db, token_digest: str, client: ClientInfo, request: Request) -> None:
    row = await db.scalar(select(RefreshToken).where(RefreshToken.token_digest == token_digest))
    if row is None or row.client_id != client.client_id or row.consumed_at is None:
        return
    if await revoke_grant(db, row.grant_id, "refresh_token_reuse"):
        record(db, "token.refresh_reused", outcome="failure", client_id=client.client_id,
               source_ip=client_ip(request), grant_id=row.grant_id)


def narrowed_scope(granted: str, requested: str | None) -> list[str]:
    """RFC 6749 §6: the scope may shrink, never grow."""
    granted_list = granted.split()
    if requested is None:
        return granted_list
    asked = requested.split()
    if not set(asked).issubset(granted_list):
        raise InvalidScope("the requested scope exceeds the grant")
    return [s for s in granted_list if s in asked]


async def client_credentials_grant(portal: Portal, request: Request, client: ClientInfo, form: dict,
                                   jkt: str | None) -> dict:
    if client.is_public:
        raise UnauthorizedClient("public clients cannot use client_credentials")
    asked = form.get("scope", "").split()
    allowed = [s for s in client.scopes if s not in ("openid", "offline_access")]
    if not set(asked).issubset(allowed):
        raise InvalidScope("the requested scope is not allowed for this client")
    async with portal.sessionmaker.begin() as db:
        grant = new_grant(client_id=client.client_id, account_id=None, scope=asked)
        await insert_grant(db, grant)  # before the tokens, which reference it
        minter = TokenMinter(db, portal.settings, await portal.key_ring())
        body = await minter.token_response(client, grant, None, jkt=jkt)
        await record_now(db, "token.issued", actor=client.client_id, client_id=client.client_id,
               source_ip=client_ip(request), grant_type="client_credentials")
    return body


GRANTS = {
    "authorization_code": authorization_code_grant,
    "refresh_token": refresh_token_grant,
    "client_credentials": client_credentials_grant,
}
