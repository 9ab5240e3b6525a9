"""The authorization_code grant (RFC 6749 §4.1.3, PKCE RFC 7636 §4.6): claim the code once,
check it against the request, load the principal, store the grant (in the claim's transaction,
so a replay's revocation always finds it), then mint the tokens and record the event in a group
commit the response waits for. A code requested with ``dpop_jkt`` is honoured only with a proof of
that key (RFC 9449 §10)."""
from __future__ import annotations

import base64
import hashlib

from sqlalchemy import Row, bindparam, select

from idp.audit.log import record_with
from idp.clients.registry import ClientInfo
from idp.errors import InvalidGrant, InvalidRequest, OAuthError
from idp.oidc.code_claim import CODES, ClaimedCode, claim_code, forget_grant
from idp.oidc.token_request import GrantTransaction, TokenRequest, in_transaction, revoke_replayed_grant
from idp.oidc.tokens import TokenMinter, insert_grant, new_grant
from idp.principals.columns import PrincipalValues
from idp.security.tokens import constant_time_equal, digest

CODE_BY_DIGEST = select(*CODES.c).where(CODES.c.code_digest == bindparam("code_digest"))


async def exchange_code(request: TokenRequest) -> dict:
    code = request.required("code")
    client = request.client

    async def work(tx: GrantTransaction) -> dict:
        claimed = await claim_code(tx.connection, digest(code), client.client_id)
        if claimed is None:
            await handle_code_replay(tx, digest(code), request)
            raise InvalidGrant("the code is invalid, expired or already used")
        try:
            principal = checked_principal(claimed, request)
        except OAuthError:
            if claimed.grant_stored:
                await forget_grant(tx.connection, claimed.code.grant_id)
            raise
        row = claimed.code
        grant = new_grant(
            grant_id=row.grant_id, client_id=client.client_id, account_id=principal.account.id,
            agency_id=row.agency_id, scope=row.scope.split(),
            sid=row.sid, auth_time=row.auth_time, acr=row.acr, amr=row.amr, claims=row.claims,
        )
        if not claimed.grant_stored:
            await insert_grant(tx.connection, grant)  # in the claim's transaction, before the tokens that reference it
        minter = TokenMinter(tx.rows, request.portal.settings, await request.portal.key_ring())
        with_refresh = "offline_access" in row.scope.split() and "refresh_token" in client.grant_types
        body = minter.token_response(client, grant, principal, nonce=row.nonce, with_refresh=with_refresh,
                                     jkt=request.jkt)
        record_with(tx.rows, "token.issued", actor=principal.subject, client_id=client.client_id,
                    source_ip=request.source_ip, grant_type="authorization_code",
                    subject=principal.account.subject)
        return body

    return await in_transaction(request, work)


def checked_principal(claimed: ClaimedCode, request: TokenRequest) -> PrincipalValues:
    """The code against the request, and the principal it was issued for if still live."""
    row = claimed.code
    check_code(row, request.client, request.form)
    if row.dpop_jkt is not None and row.dpop_jkt != request.jkt:  # RFC 9449 §10
        raise InvalidGrant("the code is bound to another DPoP key")
    if claimed.principal is None:
        raise InvalidGrant("the account is no longer active")
    return claimed.principal


async def handle_code_replay(tx: GrantTransaction, code_digest: str, request: TokenRequest) -> None:
    """A used code presented again by its own client: revoke what the first use issued
    (RFC 6749 §4.1.2). Another client's attempt, or a replay with parameters that would have
    failed anyway (a wrong redirect_uri or code_verifier), revokes nothing: a leaked used code
    alone must not let anyone end the user's tokens (O21, a denial-of-service guard)."""
    row = (await tx.connection.execute(CODE_BY_DIGEST, {"code_digest": code_digest})).first()
    try:
        if row is not None:
            check_code(row, request.client, request.form)
    except OAuthError:
        return
    await revoke_replayed_grant(tx, request, row, "code_reuse", "authorization.code_reused")


def check_code(row: Row, client: ClientInfo, form: dict) -> None:
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
