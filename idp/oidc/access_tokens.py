"""Checking a JWT access token we issued (RFC 9068 §4): signature, type, issuer, expiry, and
that neither the token nor its grant was revoked, nor its account disabled (nor its agent removed).

Every UserInfo and introspection call runs this, so it takes one Core select on a pooled reader
connection, built once: no ORM session (opening one and loading entities was half of UserInfo's
database time) and no statement rebuilt per call."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from idp import clock
from idp.db.engine import read_row
from idp.keys import jws
from idp.oidc.models import AccessToken, Grant
from idp.portal import Portal
from idp.principals.columns import (
    ACCOUNTS,
    AGENCIES,
    ENTERPRISES,
    PRINCIPAL_COLUMNS,
    PrincipalValues,
    live_principal_values,
)

TOKENS = AccessToken.__table__
GRANTS = Grant.__table__

# The token's state: (token revoked, grant revoked, account id, the grant's claims request, account
# disabled, agency id, agency removed).
STATE_COLUMNS = (TOKENS.c.revoked_at, GRANTS.c.revoked_at, GRANTS.c.account_id, GRANTS.c.claims,
                 ACCOUNTS.c.disabled_at, GRANTS.c.agency_id, AGENCIES.c.removed_at)
TOKEN_STATE = (
    select(*STATE_COLUMNS)
    .select_from(TOKENS)
    .join(GRANTS, GRANTS.c.id == TOKENS.c.grant_id)
    .outerjoin(ACCOUNTS, ACCOUNTS.c.id == GRANTS.c.account_id)
    .outerjoin(AGENCIES, AGENCIES.c.id == GRANTS.c.agency_id)
    .where(TOKENS.c.jti == bindparam("jti"))
)
# UserInfo's variant: the same state plus the columns the principal's claims are made of (account,
# agency, enterprise), so that the token check and the principal take one query.
TOKEN_STATE_WITH_PRINCIPAL = (
    TOKEN_STATE.add_columns(*PRINCIPAL_COLUMNS)
    .outerjoin(ENTERPRISES, ENTERPRISES.c.id == AGENCIES.c.enterprise_account_id)
)


@dataclass(frozen=True)
class ValidAccessToken:
    claims: dict
    account_id: int | None
    grant_claims: dict | None
    agency_id: int | None = None  # an agent's token: it speaks for the enterprise


async def check_access_token(portal: Portal, token: str) -> ValidAccessToken | None:
    """None when the token is not one we would honour now."""
    claims = await verified_claims(portal, token)
    if claims is None:
        return None
    row, _ = await read_row(portal.engines[1], TOKEN_STATE, {"jti": str(claims.get("jti", ""))})
    return honoured(claims, row)


async def check_access_token_with_principal(portal: Portal, token: str
                                            ) -> tuple[ValidAccessToken | None, PrincipalValues | None]:
    """:func:`check_access_token` and, for a token that is honoured, the principal it speaks
    for as :func:`~idp.principals.principal.load_principal` would find it (None if no longer live)."""
    claims = await verified_claims(portal, token)
    if claims is None:
        return None, None
    row, dialect = await read_row(portal.engines[1], TOKEN_STATE_WITH_PRINCIPAL, {"jti": str(claims.get("jti", ""))})
    valid = honoured(claims, row)
    if valid is None or row is None:
        return None, None
    return valid, live_principal_values(row[len(STATE_COLUMNS):], valid.agency_id, dialect)


async def verified_claims(portal: Portal, token: str) -> dict | None:
    """The claims of a token we signed, of our issuer and not expired; else None."""
    try:
        _, claims = jws.verify(await portal.key_ring(), token, typ="at+jwt")
    except jws.BadSignature:
        return None
    if claims.get("iss") != portal.settings.issuer or not isinstance(claims.get("exp"), int):
        return None
    if claims["exp"] <= clock.epoch(clock.now()):
        return None
    return claims


def honoured(claims: dict, row: Sequence[Any] | None) -> ValidAccessToken | None:
    """The token's row (its STATE_COLUMNS first): neither it nor its grant revoked."""
    if row is None or row[0] is not None or row[1] is not None:
        return None
    if row[4] is not None or row[6] is not None:  # a disabled account's (or removed agent's) tokens die with it
        return None
    return ValidAccessToken(claims=claims, account_id=row[2], grant_claims=row[3], agency_id=row[5])
