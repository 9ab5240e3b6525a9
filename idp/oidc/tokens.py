"""Minting tokens: ID tokens (OIDC Core §2), JWT access tokens (RFC 9068), opaque refresh
tokens, all hanging off a :class:`Grant` so that revoking the grant revokes them all.

The rows are Core INSERTs built once, handed to a group commit (idp.db.group_commit) with the
request's audit event: concurrent token responses share one transaction, and each answers once
its own rows are committed."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, fields
from typing import cast

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from idp import clock
from idp.clients.pairwise import seen_by, subject_for
from idp.clients.registry import ClientInfo
from idp.db.group_commit import Rows
from idp.keys import jws
from idp.keys.store import KeyRing
from idp.oidc.claims import principal_claims
from idp.oidc.models import AccessToken, Grant, RefreshToken
from idp.oidc.scopes import claims_for
from idp.principals.columns import PrincipalValues
from idp.principals.principal import Principal
from idp.security.tokens import digest, new_token
from idp.settings import Settings

INSERT_GRANT = insert(cast(Table, Grant.__table__))
INSERT_ACCESS_TOKEN = insert(cast(Table, AccessToken.__table__))
INSERT_REFRESH_TOKEN = insert(cast(Table, RefreshToken.__table__))
@dataclass(frozen=True, slots=True)
class GrantValues:
    """A grant's columns, as stored and as a token response reads them. A plain value, not the
    ORM entity: the tokens never load or change a grant through a session, and the entity's
    instrumented constructor cost 8 % of a client_credentials token's CPU."""

    id: str
    client_id: str
    account_id: int | None
    agency_id: int | None
    sid: str | None
    scope: str
    claims: dict | None
    auth_time: dt.datetime | None
    acr: str | None
    amr: list | None
    created_at: dt.datetime | None = None


GRANT_COLUMNS = tuple(field.name for field in fields(GrantValues))  # the grants table's columns a grant is made of


def new_grant(
    *, client_id: str, account_id: int | None, scope: list[str], sid: str | None = None, agency_id: int | None = None,
    auth_time: dt.datetime | None = None, acr: str | None = None, amr: list | None = None,
    claims: dict | None = None, grant_id: str | None = None,
) -> GrantValues:
    return GrantValues(
        id=grant_id or new_token(), client_id=client_id, account_id=account_id, agency_id=agency_id, sid=sid,
        scope=" ".join(scope), claims=claims, auth_time=auth_time, acr=acr, amr=amr,
        created_at=clock.now(),
    )


def grant_values(grant: GrantValues) -> dict:
    """The row of a grant made by :func:`new_grant`."""
    return {name: getattr(grant, name) for name in GRANT_COLUMNS}


async def insert_grant(connection: AsyncConnection, grant: GrantValues) -> None:
    """Store a grant made by :func:`new_grant` in the connection's transaction."""
    await connection.execute(INSERT_GRANT, grant_values(grant))


async def revoke_grant(db: AsyncSession | AsyncConnection, grant_id: str, reason: str) -> bool:
    """Revoke a grant and with it every token issued under it. Idempotent."""
    result = await db.execute(
        update(Grant)
        .where(Grant.id == grant_id, Grant.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_reason=reason)
        .returning(Grant.id)
    )
    return result.first() is not None


def half_hash(value: str) -> str:
    """at_hash (OIDC Core §3.1.3.6): left half of SHA-256 for RS256 and ES256, base64url."""
    half = hashlib.sha256(value.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode()


class TokenMinter:
    """Everything one token response needs; the rows it mints are added to ``rows`` (written by
    the caller's group commit before the response goes out)."""

    def __init__(self, rows: Rows, settings: Settings, keys: KeyRing):
        self.rows = rows
        self.settings = settings
        self.keys = keys

    def access_token(self, client: ClientInfo, grant: GrantValues, subject: str | None,
                           jkt: str | None = None) -> tuple[str, int]:
        """RFC 9068 §2: typ at+jwt; aud is the client (the resource server of its own APIs).
        With ``jkt`` the token is bound to that DPoP key (RFC 9449 §6.1, ``cnf.jkt``)."""
        now = clock.epoch(clock.now())
        ttl = self.settings.access_token_ttl_seconds
        jti = new_token()
        claims = {
            "iss": self.settings.issuer,
            "sub": subject or client.client_id,
            "aud": client.client_id,
            "client_id": client.client_id,
            "iat": now,
            "exp": now + ttl,
            "jti": jti,
            "scope": grant.scope,
        }
        if grant.auth_time is not None:
            claims["auth_time"] = clock.epoch(grant.auth_time)
        if grant.acr:
            claims["acr"] = grant.acr
        if grant.sid:
            claims["sid"] = grant.sid
        if jkt is not None:
            claims["cnf"] = {"jkt": jkt}
        token = jws.sign(self.keys, claims, alg=self.settings.access_token_signing_alg, typ="at+jwt")
        self.rows.add(INSERT_ACCESS_TOKEN, {
            "jti": jti, "grant_id": grant.id, "client_id": client.client_id,
            "expires_at": clock.now() + dt.timedelta(seconds=ttl), "revoked_at": None,
        })
        return token, ttl

    def refresh_token(self, client: ClientInfo, grant: GrantValues, scope: str, jkt: str | None = None) -> str:
        """An opaque refresh token; with ``jkt`` usable only with a proof of that DPoP key (RFC 9449 §5)."""
        token = new_token()
        now = clock.now()
        self.rows.add(INSERT_REFRESH_TOKEN, {
            "token_digest": digest(token), "grant_id": grant.id, "client_id": client.client_id, "scope": scope,
            "created_at": now, "expires_at": now + dt.timedelta(seconds=self.settings.refresh_token_ttl_seconds),
            "consumed_at": None, "revoked_at": None, "dpop_jkt": jkt,
        })
        return token

    def id_token(
        self, client: ClientInfo, grant: GrantValues, principal: Principal | PrincipalValues, *, nonce: str | None,
        access_token: str | None,
    ) -> str:
        now = clock.epoch(clock.now())
        claims = {
            "iss": self.settings.issuer,
            "sub": subject_for(self.settings, client, principal.subject),  # pairwise: OIDC Core §8.1
            "aud": client.client_id,
            "iat": now,
            "exp": now + self.settings.id_token_ttl_seconds,
            # Always present: max_age and prompt=login callers compare it.
            "auth_time": clock.epoch(grant.auth_time) if grant.auth_time else now,
        }
        if nonce is not None:
            claims["nonce"] = nonce
        if grant.acr:
            claims["acr"] = grant.acr
        if grant.amr:
            claims["amr"] = grant.amr
        if grant.sid:
            claims["sid"] = grant.sid
        alg = client.id_token_signed_response_alg
        if access_token is not None:
            claims["at_hash"] = half_hash(access_token)
        scope = grant.scope.split()
        extra = principal_claims(principal, claims_for(scope, grant.claims, "id_token", client.scopes),
                                 seen_by(self.settings, client))
        claims.update({k: v for k, v in extra.items() if k not in claims})
        return jws.sign(self.keys, claims, alg=alg)

    def token_response(
        self, client: ClientInfo, grant: GrantValues, principal: Principal | PrincipalValues | None, *,
        nonce: str | None = None, with_refresh: bool = False, jkt: str | None = None,
    ) -> dict:
        """With ``jkt`` (a DPoP proof came with the request) the access token is DPoP-bound, and so is
        a public client's refresh token (RFC 9449 §5; a confidential client's is bound to it already)."""
        subject = subject_for(self.settings, client, principal.subject) if principal else None
        access_token, ttl = self.access_token(client, grant, subject, jkt)
        body = {"access_token": access_token, "token_type": "DPoP" if jkt else "Bearer", "expires_in": ttl}
        if grant.scope:
            body["scope"] = grant.scope
        if principal is not None and "openid" in grant.scope.split():
            body["id_token"] = self.id_token(client, grant, principal, nonce=nonce, access_token=access_token)
        if with_refresh:
            body["refresh_token"] = self.refresh_token(client, grant, grant.scope,
                                                             jkt if client.is_public else None)
        return body
