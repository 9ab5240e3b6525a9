"""Pushed authorization requests (RFC 9126).

The client POSTs its authorization parameters to the PAR endpoint (idp.oidc.par_endpoint),
authenticated as at the token endpoint (§2); the request is validated there exactly as /authorize would
(:mod:`idp.oidc.authorization_request`), stored, and answered with a one-time ``request_uri``
(``urn:ietf:params:oauth:request_uri:…``) and its ``expires_in`` (§2.2). The browser then goes to
/authorize with only ``client_id`` and ``request_uri`` (§4): the stored request is taken in one
DELETE … RETURNING bound to that client, so of N concurrent uses exactly one proceeds, and
nothing else of the query is read.

A client registered with ``require_pushed_authorization_requests`` (or every client, when the
setting of that name is on) may start a login through a pushed request only (§6).
"""
from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Table, delete, insert

from idp import clock
from idp.clients.registry import ClientInfo
from idp.errors import InvalidDpopProof, InvalidRequest, PageError
from idp.oidc.authorization_request import AuthorizationRequest, validate, verify_client_and_redirect
from idp.oidc.models import PushedRequest
from idp.portal import Portal
from idp.security.tokens import digest, new_token
from idp.settings import Settings

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"  # RFC 9126 §2.2
INSERT_PUSHED = insert(cast(Table, PushedRequest.__table__))
# Parameters of client authentication (RFC 6749 §2.3, RFC 7523 §2.2), not of the request.
CLIENT_AUTHENTICATION = ("client_secret", "client_assertion", "client_assertion_type")


def is_pushed_request_uri(value: str | None) -> bool:
    return value is not None and value.startswith(REQUEST_URI_PREFIX)


def pushed_requests_required(settings: Settings, client: ClientInfo) -> bool:
    """RFC 9126 §6: the setting for every client, or the client's own registration."""
    return settings.require_pushed_authorization_requests or client.require_pushed_authorization_requests


async def push(portal: Portal, client: ClientInfo, form: dict[str, str], jkt: str | None = None) -> str:
    """Validate the pushed parameters as /authorize would and store them; the request_uri. ``jkt``:
    the key of a DPoP proof sent with the push, which binds the code as ``dpop_jkt`` would
    (RFC 9449 §10.1; both given, they must agree)."""
    if "request_uri" in form:  # §2.1: the one authorization parameter that cannot be pushed
        raise InvalidRequest("request_uri cannot be pushed")
    if form.get("client_id", client.client_id) != client.client_id:
        raise InvalidRequest("client_id does not match the authenticated client")
    params = {k: v for k, v in form.items() if k not in CLIENT_AUTHENTICATION}
    params["client_id"] = client.client_id
    try:
        target = verify_client_and_redirect(params, set(), client)
    except PageError as exc:  # no browser here: the client is told (§2.3), in the error's ASCII detail
        raise InvalidRequest(exc.detail) from None
    auth = await validate(params, set(), client, target, await portal.key_ring(), portal.settings.issuer)
    if jkt is not None:
        if auth.dpop_jkt not in (None, jkt):
            raise InvalidDpopProof("dpop_jkt does not match the key of the DPoP proof")
        auth.dpop_jkt = jkt
    token = new_token()
    now = clock.now()
    async with portal.sessionmaker.begin() as db:
        connection = await db.connection()
        await connection.execute(INSERT_PUSHED, {
            "uri_digest": digest(token), "client_id": client.client_id, "request": auth.to_json(),
            "created_at": now, "expires_at": now + dt.timedelta(seconds=portal.settings.par_ttl_seconds),
        })
    return REQUEST_URI_PREFIX + token


async def take_pushed_request(portal: Portal, client: ClientInfo, request_uri: str) -> AuthorizationRequest:
    """§4: the request pushed by this client under ``request_uri`` (a :func:`is_pushed_request_uri`),
    used up by this call.

    One DELETE … RETURNING: another client's request_uri, an unknown, expired or already used one
    finds nothing (and another client's stays for its owner). Nothing can be redirected before the
    request is found (its redirect_uri is in it), so a failure is the portal's page.
    """
    statement = (
        delete(PushedRequest)
        .where(PushedRequest.uri_digest == digest(request_uri[len(REQUEST_URI_PREFIX):]),
               PushedRequest.client_id == client.client_id, PushedRequest.expires_at > clock.now())
        .returning(PushedRequest.request)
    )
    async with portal.sessionmaker.begin() as db:
        stored = (await db.execute(statement.execution_options(synchronize_session=False))).scalar()
    if stored is None:
        raise PageError("request.request_uri_invalid", detail="request_uri is unknown, expired or used")
    return AuthorizationRequest.from_json(stored)
