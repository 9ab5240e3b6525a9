"""The client_credentials grant (RFC 6749 §4.4): a confidential client's token for its own
APIs. Check the scope, store the grant, mint the access token, record the event; one transaction."""
from __future__ import annotations

from idp.audit.log import record_now
from idp.errors import InvalidScope, UnauthorizedClient
from idp.oidc.token_request import TokenRequest
from idp.oidc.tokens import TokenMinter, insert_grant, new_grant

NOT_FOR_CLIENTS = ("openid", "offline_access")  # scopes about a user; this token has none


async def issue_client_token(request: TokenRequest) -> dict:
    client = request.client
    if client.is_public:
        raise UnauthorizedClient("public clients cannot use client_credentials")
    asked = request.form.get("scope", "").split()
    if not set(asked).issubset(s for s in client.scopes if s not in NOT_FOR_CLIENTS):
        raise InvalidScope("the requested scope is not allowed for this client")
    async with request.portal.sessionmaker.begin() as db:
        grant = new_grant(client_id=client.client_id, account_id=None, scope=asked)
        await insert_grant(db, grant)  # before the tokens, which reference it
        minter = TokenMinter(db, request.portal.settings, await request.portal.key_ring())
        body = await minter.token_response(client, grant, None, jkt=request.jkt)
        await record_now(db, "token.issued", actor=client.client_id, client_id=client.client_id,
                         source_ip=request.source_ip, grant_type="client_credentials")
    return body
