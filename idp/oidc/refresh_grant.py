"""The refresh_token grant (RFC 6749 §6): redeem the token once, check its grant and principal,
narrow the scope, mint the tokens and the rotated refresh token, record the event. The redemption
commits first (one conditional UPDATE decides which of concurrent rotations wins); the new tokens
and the event follow in a group commit the response waits for. Reuse of a rotated token revokes
the family (RFC 9700 §4.14.2); a DPoP-bound token is found only with a proof of its key
(RFC 9449 §5)."""
from __future__ import annotations

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import aliased

from idp import clock
from idp.accounts.models import Account
from idp.audit.log import record, record_with
from idp.errors import InvalidGrant, InvalidRequest, InvalidScope
from idp.oidc.models import Grant, RefreshToken
from idp.oidc.token_request import TokenRequest, in_transaction
from idp.oidc.tokens import TokenMinter, revoke_grant
from idp.principals.models import Agency
from idp.principals.principal import live_principal
from idp.security.tokens import digest

# Built once with bound values, without session synchronization: see code_grant.CLAIM_CODE.
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
# The grant and the rows its principal is made of (account; for an agent the agency and the
# enterprise) in one query, not three to five: load_principal's checks run on them (live_principal).
Enterprise = aliased(Account)
GRANT_WITH_PRINCIPAL = (
    select(Grant, Account, Agency, Enterprise)
    .outerjoin(Account, Account.id == Grant.account_id)
    .outerjoin(Agency, Agency.id == Grant.agency_id)
    .outerjoin(Enterprise, Enterprise.id == Agency.enterprise_account_id)
    .where(Grant.id == bindparam("grant_id"))
)
GRANT_VIEW_COLUMNS = ("id", "client_id", "account_id", "agency_id", "sid", "claims", "auth_time", "acr", "amr")


async def refresh(request: TokenRequest) -> dict:
    token = request.form.get("refresh_token")
    if not token:
        raise InvalidRequest("missing refresh_token")
    client = request.client

    async def work(db, rows) -> dict:
        old = await redeem_refresh_token(db, digest(token), client.client_id, request.jkt)
        if old is None:
            await handle_refresh_replay(db, digest(token), request)
            raise InvalidGrant("the refresh token is invalid, expired or already used")
        row = (await db.execute(GRANT_WITH_PRINCIPAL, {"grant_id": old.grant_id})).first()
        grant = row[0] if row is not None else None
        if grant is None or grant.revoked_at is not None:
            raise InvalidGrant("the grant was revoked")
        principal = live_principal(row[1], grant.agency_id, row[2], row[3])
        if principal is None:
            raise InvalidGrant("the account is no longer active")
        scope = narrowed_scope(old.scope, request.form.get("scope"))
        minter = TokenMinter(rows, request.portal.settings, await request.portal.key_ring())
        view = Grant(**{c: getattr(grant, c) for c in GRANT_VIEW_COLUMNS}, scope=" ".join(scope))
        body = minter.token_response(client, view, principal, jkt=request.jkt)
        body["refresh_token"] = minter.refresh_token(client, grant, old.scope, old.dpop_jkt)
        record_with(rows, "token.refreshed", actor=principal.subject, client_id=client.client_id,
                    source_ip=request.source_ip, subject=principal.account.subject)
        return body

    return await in_transaction(request, work)


async def redeem_refresh_token(db, token_digest: str, client_id: str, jkt: str | None) -> RefreshToken | None:
    """Single use, atomically (one UPDATE … RETURNING): of N concurrent rotations one wins."""
    now = clock.now()
    result = await db.execute(REDEEM_REFRESH_TOKEN, {"b_token_digest": token_digest, "b_client_id": client_id,
                                                     "b_now": now, "b_consumed_at": now, "b_jkt": jkt})
    return result.scalars().first()


async def handle_refresh_replay(db, token_digest: str, request: TokenRequest) -> None:
    """A rotated token presented again by its own client: revoke the family (RFC 9700 §4.14.2)."""
    client = request.client
    row = await db.scalar(select(RefreshToken).where(RefreshToken.token_digest == token_digest))
    if row is None or row.client_id != client.client_id or row.consumed_at is None:
        return
    if await revoke_grant(db, row.grant_id, "refresh_token_reuse"):
        record(db, "token.refresh_reused", outcome="failure", client_id=client.client_id,
               source_ip=request.source_ip, grant_id=row.grant_id)


def narrowed_scope(granted: str, requested: str | None) -> list[str]:
    """RFC 6749 §6: the scope may shrink, never grow."""
    granted_list = granted.split()
    if requested is None:
        return granted_list
    asked = requested.split()
    if not set(asked).issubset(granted_list):
        raise InvalidScope("the requested scope exceeds the grant")
    return [s for s in granted_list if s in asked]
