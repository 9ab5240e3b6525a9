"""The client_credentials grant (RFC 6749 §4.4): a confidential client's token for its own
APIs. Check the scope, mint the grant and the access token, record the event; the three rows in
one group commit (idp.db.group_commit), which the response waits for."""
from __future__ import annotations

from idp.audit.log import record_with
from idp.db import group_commit
from idp.db.group_commit import Rows
from idp.errors import InvalidScope, UnauthorizedClient
from idp.oidc.token_request import TokenRequest
from idp.oidc.tokens import INSERT_GRANT, TokenMinter, grant_values, new_grant

NOT_FOR_CLIENTS = ("openid", "offline_access")  # scopes about a user; this token has none


async def issue_client_token(request: TokenRequest) -> dict:
    client = request.client
    if client.is_public:
        raise UnauthorizedClient("public clients cannot use client_credentials")
    asked = request.form.get("scope", "").split()
    if not set(asked).issubset(s for s in client.scopes if s not in NOT_FOR_CLIENTS):
        raise InvalidScope("the requested scope is not allowed for this client")
    rows = Rows()
    grant = new_grant(client_id=client.client_id, account_id=None, scope=asked)
    rows.add(INSERT_GRANT, grant_values(grant))
    minter = TokenMinter(rows, request.portal.settings, await request.portal.key_ring())
    body = minter.token_response(client, grant, None, jkt=request.jkt)
    record_with(rows, "token.issued", actor=client.client_id, client_id=client.client_id,
                source_ip=request.source_ip, grant_type="client_credentials")
    await group_commit.write(request.portal.engine, rows)
    return body
