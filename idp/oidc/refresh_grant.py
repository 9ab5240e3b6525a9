"""The refresh_token grant (RFC 6749 §6): redeem the token once, check its grant and principal,
narrow the scope, mint the tokens and the rotated refresh token, record the event. The redemption
commits first (one conditional UPDATE decides which of concurrent rotations wins); the new tokens
and the event follow in a group commit the response waits for. Reuse of a rotated token revokes
the family (RFC 9700 §4.14.2); a DPoP-bound token is found only with a proof of its key
(RFC 9449 §5)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from idp import clock
from idp.audit.log import record_with
from idp.errors import InvalidGrant, InvalidScope
from idp.oidc.models import Grant, RefreshToken
from idp.oidc.token_request import (
    ASYNCHRONOUS_COMMIT_COLUMN,
    GrantTransaction,
    TokenRequest,
    in_transaction,
    revoke_replayed_grant,
)
from idp.oidc.tokens import GrantValues, TokenMinter
from idp.principals.columns import PrincipalValues, live_principal_values, with_principal
from idp.security.tokens import digest

REFRESH_TOKENS = cast(Table, RefreshToken.__table__)
GRANTS = cast(Table, Grant.__table__)

# Core statements on the transaction's connection, built once with bound values (the b_ prefix:
# a column's own name is reserved for the SET clause's value): see idp.oidc.code_claim.
REDEEM_REFRESH_TOKEN = (
    update(REFRESH_TOKENS)
    .where(
        REFRESH_TOKENS.c.token_digest == bindparam("b_token_digest"),
        REFRESH_TOKENS.c.client_id == bindparam("b_client_id"),
        REFRESH_TOKENS.c.consumed_at.is_(None),
        REFRESH_TOKENS.c.revoked_at.is_(None),
        REFRESH_TOKENS.c.expires_at > bindparam("b_now"),
        # RFC 9449 §5: a bound token is found only with a proof of its key (not used up by another).
        or_(REFRESH_TOKENS.c.dpop_jkt.is_(None), REFRESH_TOKENS.c.dpop_jkt == bindparam("b_jkt")),
    )
    .values(consumed_at=bindparam("b_consumed_at"))
    .returning(REFRESH_TOKENS.c.scope, REFRESH_TOKENS.c.dpop_jkt, REFRESH_TOKENS.c.grant_id)
)
# The grant's columns a rotation reads, then the principal's (account; for an agent the agency and
# the enterprise) in one query: live_principal_values checks them as load_principal would.
GRANT_VIEW_COLUMNS = ("id", "client_id", "account_id", "agency_id", "sid", "claims", "auth_time", "acr", "amr")
GRANT_READ = (*(GRANTS.c[name] for name in GRANT_VIEW_COLUMNS), GRANTS.c.revoked_at)
PRINCIPAL_START = len(GRANT_READ)
GRANT_WITH_PRINCIPAL = with_principal(
    select(*GRANT_READ).select_from(GRANTS), GRANTS.c.account_id, GRANTS.c.agency_id,
).where(GRANTS.c.id == bindparam("grant_id"))


def _redeem_with_grant():
    """PostgreSQL: the redemption and the read of its grant and principal as one statement (the
    UPDATE a data-modifying CTE); a row only if the token was redeemed, its grant's columns null
    if the grant is gone. Each row: the token's scope and key, then GRANT_WITH_PRINCIPAL's, then
    the transaction's asynchronous commit (idp.oidc.token_request)."""
    redeemed = REDEEM_REFRESH_TOKEN.cte("redeemed")
    grant_read = select(redeemed.c.scope, redeemed.c.dpop_jkt, *GRANT_READ).select_from(redeemed).outerjoin(
        GRANTS, GRANTS.c.id == redeemed.c.grant_id)
    return with_principal(grant_read, GRANTS.c.account_id, GRANTS.c.agency_id).add_columns(ASYNCHRONOUS_COMMIT_COLUMN)


REDEEM_WITH_GRANT = _redeem_with_grant()


async def refresh(request: TokenRequest) -> dict:
    token = request.required("refresh_token")
    client = request.client

    async def work(tx: GrantTransaction) -> dict:
        old = await redeem_refresh_token(tx.connection, digest(token), client.client_id, request.jkt)
        if old is None:
            await handle_refresh_replay(tx, digest(token), request)
            raise InvalidGrant("the refresh token is invalid, expired or already used")
        if old.grant is None:
            raise InvalidGrant("the grant was revoked")
        principal = old.principal
        if principal is None:
            raise InvalidGrant("the account is no longer active")
        scope = narrowed_scope(old.scope, request.form.get("scope"))
        minter = TokenMinter(tx.rows, request.portal.settings, await request.portal.key_ring())
        view = GrantValues(**old.grant, scope=" ".join(scope))
        body = minter.token_response(client, view, principal, jkt=request.jkt)
        body["refresh_token"] = minter.refresh_token(client, view, old.scope, old.dpop_jkt)
        record_with(tx.rows, "token.refreshed", actor=principal.subject, client_id=client.client_id,
                    source_ip=request.source_ip, subject=principal.account.subject)
        return body

    return await in_transaction(request, work)


@dataclass(frozen=True)
class RedeemedToken:
    scope: str  # the redeemed token's: the most a rotation may grant
    dpop_jkt: str | None
    grant: dict | None  # its grant's GRANT_VIEW_COLUMNS; None if the grant is revoked or gone
    principal: PrincipalValues | None  # None: the account disabled or gone, the agency removed


async def redeem_refresh_token(connection: AsyncConnection, token_digest: str, client_id: str,
                               jkt: str | None) -> RedeemedToken | None:
    """Single use, atomically (one UPDATE … RETURNING): of N concurrent rotations one wins. With
    the token: its grant and the principal the grant speaks for, read in the same transaction."""
    now = clock.now()
    params = {"b_token_digest": token_digest, "b_client_id": client_id, "b_now": now, "b_consumed_at": now,
              "b_jkt": jkt}
    if connection.dialect.name == "postgresql":
        row = (await connection.execute(REDEEM_WITH_GRANT, params)).first()
        if row is None:
            return None
        return redeemed(row[0], row[1], row[2:-1], connection.dialect)
    token = (await connection.execute(REDEEM_REFRESH_TOKEN, params)).first()
    if token is None:
        return None
    values = (await connection.execute(GRANT_WITH_PRINCIPAL, {"grant_id": token.grant_id})).first()
    return redeemed(token.scope, token.dpop_jkt, values, connection.dialect)


def redeemed(scope: str, dpop_jkt: str | None, values: Sequence[Any] | None, dialect) -> RedeemedToken:
    """The token with GRANT_WITH_PRINCIPAL's ``values`` (grant columns, revoked_at, principal columns)."""
    if values is None or values[0] is None or values[PRINCIPAL_START - 1] is not None:
        return RedeemedToken(scope, dpop_jkt, None, None)
    grant = dict(zip(GRANT_VIEW_COLUMNS, values, strict=False))
    return RedeemedToken(scope, dpop_jkt, grant,
                         live_principal_values(values[PRINCIPAL_START:], grant["agency_id"], dialect))


TOKEN_BY_DIGEST = (
    select(REFRESH_TOKENS.c.client_id, REFRESH_TOKENS.c.consumed_at, REFRESH_TOKENS.c.grant_id)
    .where(REFRESH_TOKENS.c.token_digest == bindparam("token_digest"))
)


async def handle_refresh_replay(tx: GrantTransaction, token_digest: str, request: TokenRequest) -> None:
    """A rotated token presented again by its own client: revoke the family (RFC 9700 §4.14.2)."""
    row = (await tx.connection.execute(TOKEN_BY_DIGEST, {"token_digest": token_digest})).first()
    await revoke_replayed_grant(tx, request, row, "refresh_token_reuse", "token.refresh_reused")


def narrowed_scope(granted: str, requested: str | None) -> list[str]:
    """RFC 6749 §6: the scope may shrink, never grow."""
    granted_list = granted.split()
    if requested is None:
        return granted_list
    asked = requested.split()
    if not set(asked).issubset(granted_list):
        raise InvalidScope("the requested scope exceeds the grant")
    return [s for s in granted_list if s in asked]
