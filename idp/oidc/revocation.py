"""Token revocation (RFC 7009). Revoking a refresh token revokes its whole grant (§2.1: the
access tokens issued with it go too); revoking an access token revokes that token. An
unknown token, or another client's, is answered 200 and changes nothing (§2.2), without a write
transaction (on SQLite one takes the database's write lock)."""
from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from idp import clock
from idp.accounts.service import subject_of
from idp.audit.log import record
from idp.db.engine import read_row
from idp.errors import InvalidRequest, OAuthError
from idp.keys import jws
from idp.oidc.client_address import client_ip
from idp.oidc.json_endpoints import JSONResponse, authenticate, error_response, json_response, read_form
from idp.oidc.models import AccessToken, Grant, RefreshToken
from idp.oidc.tokens import revoke_grant
from idp.portal import Portal
from idp.principals.columns import ACCOUNTS
from idp.security.tokens import digest
from shared.exact_routes import plain_route

router = APIRouter()

REFRESH_TOKENS = RefreshToken.__table__
GRANTS = Grant.__table__
# A refresh token's client and grant, and the subject of the grant's account (for the audit event).
REFRESH_TOKEN_OWNER = (
    select(REFRESH_TOKENS.c.client_id, REFRESH_TOKENS.c.grant_id, ACCOUNTS.c.subject)
    .select_from(REFRESH_TOKENS)
    .join(GRANTS, GRANTS.c.id == REFRESH_TOKENS.c.grant_id)
    .outerjoin(ACCOUNTS, ACCOUNTS.c.id == GRANTS.c.account_id)
    .where(REFRESH_TOKENS.c.token_digest == bindparam("digest"))
)


async def subject_of_grant(db: AsyncSession, grant_id: str) -> str | None:
    """The subject of the account the grant's tokens were issued for."""
    return await subject_of(db, await db.scalar(select(Grant.account_id).where(Grant.id == grant_id)))


@plain_route(router, "/revoke", ["POST"])
async def revoke(request: Request) -> JSONResponse:
    portal: Portal = request.app.state.portal
    try:
        form = await read_form(request)
        client = await authenticate(portal, request, form, "/revoke")
        token = form.get("token")
        if not token:
            raise InvalidRequest("missing token")
    except OAuthError as exc:
        return error_response(exc)
    source_ip = client_ip(request)
    refresh, _ = await read_row(portal.engines[1], REFRESH_TOKEN_OWNER, {"digest": digest(token)})
    if refresh is not None:
        if refresh.client_id == client.client_id:
            async with portal.sessionmaker.begin() as db:
                await revoke_grant(db, refresh.grant_id, "revoked_by_client")
                record(db, "token.revoked", actor=client.client_id, client_id=client.client_id, source_ip=source_ip,
                       token_type="refresh_token", grant_id=refresh.grant_id, subject=refresh.subject)
    elif token.count(".") == 2:
        try:
            _, claims = jws.verify(await portal.key_ring(), token, typ="at+jwt")
        except jws.BadSignature:
            claims = {}
        if claims.get("client_id") == client.client_id:
            async with portal.sessionmaker.begin() as db:
                revoked = await db.scalar(
                    update(AccessToken)
                    .where(AccessToken.jti == str(claims.get("jti")), AccessToken.revoked_at.is_(None))
                    .values(revoked_at=clock.now())
                    .returning(AccessToken.grant_id)
                )
                if revoked is not None:  # revoking a revoked token again changes nothing
                    record(db, "token.revoked", actor=client.client_id, client_id=client.client_id,
                           source_ip=source_ip, token_type="access_token", grant_id=revoked,
                           subject=await subject_of_grant(db, revoked))
    return json_response({})
