"""Portal → business-system calls of the binding contract (shared/binding.py).

Each request carries ``Authorization: Bearer <JWT>`` signed with the portal's key: typ
PORTAL_REQUEST_TYP, iss, aud = the client id, iat, exp two minutes later, jti, and the action,
binding id and subject it authorizes (plus force and reason for staff force-unbind), so a
captured token cannot be replayed for another action or another binding. The ``ask_*`` calls
take the principal's own subject and send the one the system sees (idp.clients.pairwise).
"""
from __future__ import annotations

from dataclasses import dataclass

import httpx

from idp import clock
from idp.clients.pairwise import subject_for
from idp.clients.registry import ClientInfo
from idp.keys import jws
from idp.portal import Portal
from idp.security.tokens import new_token
from shared import safe_json
from shared.binding import (
    PORTAL_REQUEST_MAX_SECONDS,
    PORTAL_REQUEST_TYP,
    SYSTEM_CANCEL,
    SYSTEM_STATUS,
    SYSTEM_UNLINK,
    Status,
)

TIMEOUT_SECONDS = 5.0


class SystemUnreachable(Exception):
    """The system did not answer usefully (down, slow, or an unexpected status): retry later."""


@dataclass(frozen=True)
class Unlinked:
    removed: bool  # False: the system refused (a link created by binding, not forced)


def request_token(portal: Portal, ring, client: ClientInfo, action: str, binding_id: str, sub: str, *,
                  force: bool = False, reason: str | None = None) -> str:
    now = clock.epoch(clock.now())
    claims = {"iss": portal.settings.issuer, "aud": client.client_id, "iat": now,
              "exp": now + PORTAL_REQUEST_MAX_SECONDS, "jti": new_token(), "action": action,
              "binding_id": binding_id, "sub": sub}
    if action == "unlink":
        claims["force"] = force
        if reason:
            claims["reason"] = reason
    return jws.sign(ring, claims, alg=client.id_token_signed_response_alg, typ=PORTAL_REQUEST_TYP)


async def _send(portal: Portal, client: ClientInfo, method: str, path: str, token: str) -> httpx.Response:
    if not client.binding_api_uri:
        raise SystemUnreachable("no binding_api_uri")
    try:
        return await portal.http.request(method, client.binding_api_uri.rstrip("/") + path,
                                         headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        raise SystemUnreachable(exc.__class__.__name__) from exc


def _status(response: httpx.Response) -> Status:
    if response.status_code != 200:
        raise SystemUnreachable(f"HTTP {response.status_code}")
    try:
        data = safe_json.loads_object(response.content)  # the system's answer is bounded like any input
        status = Status(status=data["status"], kind=data.get("kind"), local_account=data.get("local_account"))
    except (ValueError, KeyError) as exc:
        raise SystemUnreachable("malformed status") from exc
    if status.status not in ("linked", "cancelled", "unknown") or (
            status.status == "linked" and status.kind not in ("created", "existing")):
        raise SystemUnreachable("malformed status")
    return status


async def ask_status(portal: Portal, client: ClientInfo, binding_id: str, sub: str) -> Status:
    sub = subject_for(portal.settings, client, sub)
    token = request_token(portal, await portal.key_ring(), client, "status", binding_id, sub)
    return _status(await _send(portal, client, "GET", SYSTEM_STATUS.format(binding_id=binding_id), token))


async def ask_cancel(portal: Portal, client: ClientInfo, binding_id: str, sub: str) -> Status:
    sub = subject_for(portal.settings, client, sub)
    token = request_token(portal, await portal.key_ring(), client, "cancel", binding_id, sub)
    return _status(await _send(portal, client, "POST", SYSTEM_CANCEL.format(binding_id=binding_id), token))


async def ask_unlink(portal: Portal, client: ClientInfo, binding_id: str, sub: str, *, force: bool,
                     reason: str | None) -> Unlinked:
    sub = subject_for(portal.settings, client, sub)
    token = request_token(portal, await portal.key_ring(), client, "unlink", binding_id, sub, force=force,
                          reason=reason)
    response = await _send(portal, client, "DELETE", SYSTEM_UNLINK.format(sub=sub), token)
    if response.status_code in (200, 204):
        return Unlinked(True)
    if response.status_code == 409 and not force:
        return Unlinked(False)
    raise SystemUnreachable(f"HTTP {response.status_code}")



REACHABLE_TIMEOUT_SECONDS = 3.0
REACHABLE_PATH = "/binding-api/"  # any answer will do, even 404: the system is there


async def reachable(portal: Portal, client: ClientInfo) -> bool:
    """Whether the system answers at all (a HEAD to its binding API): not when nothing listens,
    its name does not resolve, it is too slow, or its gateway answers 5xx. Asked before the
    browser is sent there, so a system that is down gets the portal's own page and no pending
    binding is left behind."""
    address = client.binding_api_uri.rstrip("/") + REACHABLE_PATH if client.binding_api_uri else None
    address = address or client.binding_start_uri or client.initiate_login_uri
    if not address:
        return False
    try:
        response = await portal.http.head(address, timeout=REACHABLE_TIMEOUT_SECONDS)
    except httpx.HTTPError:
        return False
    return response.status_code < 500
