"""Checking a JWT access token we issued (RFC 9068 §4): signature, type, issuer, expiry, and
that neither the token nor its grant was revoked, nor its account disabled (nor its agent removed)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from idp import clock
from idp.accounts.models import Account
from idp.keys import jws
from idp.oidc.models import AccessToken, Grant
from idp.portal import Portal
from idp.principals.models import Agency
from idp.principals.principal import Principal, live_principal

# Built once: every userinfo and introspection call runs it, and rebuilding the select with its
# joins (and SQLAlchemy's cache key for it) on each call was ~10 % of userinfo's Python time.
TOKEN_STATE = (
    select(AccessToken.revoked_at, Grant.revoked_at, Grant.account_id, Grant.claims, Account.disabled_at,
           Grant.agency_id, Agency.removed_at)
    .join(Grant, Grant.id == AccessToken.grant_id)
    .outerjoin(Account, Account.id == Grant.account_id)
    .outerjoin(Agency, Agency.id == Grant.agency_id)
    .where(AccessToken.jti == bindparam("jti"))
)


# UserInfo's variant: the same state plus the rows the principal is made of (account, agency,
# enterprise), so that the token check and the principal take one query instead of two to four.
Enterprise = aliased(Account)
TOKEN_STATE_WITH_PRINCIPAL = (
    select(AccessToken.revoked_at, Grant.revoked_at, Grant.account_id, Grant.claims, Account.disabled_at,
           Grant.agency_id, Agency.removed_at, Account, Agency, Enterprise)
    .join(Grant, Grant.id == AccessToken.grant_id)
    .outerjoin(Account, Account.id == Grant.account_id)
    .outerjoin(Agency, Agency.id == Grant.agency_id)
    .outerjoin(Enterprise, Enterprise.id == Agency.enterprise_account_id)
    .where(AccessToken.jti == bindparam("jti"))
)


@dataclass(frozen=True)
class ValidAccessToken:
    claims: dict
    account_id: int | None
    grant_claims: dict | None
    agency_id: int | None = None  # an agent's token: it speaks for the enterprise


async def check_access_token(portal: Portal, db, token: str) -> ValidAccessToken | None:
    """None when the token is not one we would honour now."""
    claims = await verified_claims(portal, token)
    if claims is None:
        return None
    row = (await db.execute(TOKEN_STATE, {"jti": str(claims.get("jti", ""))})).first()
    return honoured(claims, row)


async def check_access_token_with_principal(portal: Portal, db, token: str
                                            ) -> tuple[ValidAccessToken | None, Principal | None]:
    """:func:`check_access_token` and, for a token that is honoured, the principal it speaks
    for as :func:`~idp.principals.principal.load_principal` would find it (None if no longer live)."""
    claims = await verified_claims(portal, token)
    if claims is None:
        return None, None
    row = (await db.execute(TOKEN_STATE_WITH_PRINCIPAL, {"jti": str(claims.get("jti", ""))})).first()
    valid = honoured(claims, row)
    if valid is None:
        return None, None
    return valid, live_principal(row[7], valid.agency_id, row[8], row[9])


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


def honoured(claims: dict, row) -> ValidAccessToken | None:
    """The token's row (first seven columns of TOKEN_STATE): neither it nor its grant revoked."""
    if row is None or row[0] is not None or row[1] is not None:
        return None
    if row[4] is not None or row[6] is not None:  # a disabled account's (or removed agent's) tokens die with it
        return None
    return ValidAccessToken(claims=claims, account_id=row[2], grant_claims=row[3], agency_id=row[5])
