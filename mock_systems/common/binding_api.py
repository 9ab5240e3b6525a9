"""The binding API the portal calls (shared.binding; docs/binding-protocol.md): the status of a
binding id, cancelling a pending binding, and removing a portal account's link.

Every request carries a portal-signed JWT (``Authorization: Bearer``) naming exactly the
request (tokens.verify_portal_request). Every call is idempotent: the portal retries it from its
outbox until it gets an answer.
"""
from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from sqlalchemy.exc import IntegrityError
from starlette.responses import JSONResponse, Response

from mock_systems.common.binding_intent import BINDING_ID
from mock_systems.common.context import SystemContext
from mock_systems.common.links import link_of_binding, linked_account, remove_link, tombstone
from mock_systems.common.models import BindingOutcome, BindingRecord, LinkKind
from mock_systems.common.portal_client import PortalError
from mock_systems.common.sessions import end_portal_sessions
from mock_systems.common.tokens import TokenRefused, verify_portal_request
from shared.binding import SYSTEM_CANCEL, SYSTEM_STATUS, SYSTEM_UNLINK, Status

router = APIRouter()
log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}


async def authorize(request: Request, action: str, **names: str) -> dict | Response:
    """The request's verified claims, or the refusal to send (401, or 503 without the JWKS)."""
    system: SystemContext = request.app.state.system
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _refused("no bearer token")
    try:
        return await verify_portal_request(system.portal, system.settings, token.strip(), action=action, **names)
    except TokenRefused as exc:
        log.warning("%s: binding request refused: %s", system.profile.client_id, exc)
        return _refused(str(exc))
    except PortalError as exc:
        log.warning("%s: binding request not verified yet: %s", system.profile.client_id, exc)
        return JSONResponse({"error": "temporarily_unavailable"}, status_code=503, headers=NO_STORE)


def _refused(description: str) -> JSONResponse:
    description = "".join(c for c in description if c.isascii() and c.isprintable() and c not in "\"\\")
    return JSONResponse({"error": "invalid_token", "error_description": description[:200]}, status_code=401,
                        headers={**NO_STORE, "WWW-Authenticate": 'Bearer error="invalid_token"'})


def _status(status: Status) -> JSONResponse:
    return JSONResponse(status.to_json(), headers=NO_STORE)


async def binding_status(system: SystemContext, binding_id: str, claims: dict) -> Status | Response:
    """linked (with kind and local account) while this binding's link exists; cancelled once the
    binding id is settled otherwise (tombstone, refusal, link removed); else unknown. A token
    naming another subject than the one this binding was for is refused."""
    async with system.sessionmaker() as db:
        record = await db.get(BindingRecord, binding_id)
        linked = await link_of_binding(db, system.settings.issuer, binding_id)
    if record is not None and record.portal_subject and "sub" in claims and claims["sub"] != record.portal_subject:
        return _refused("sub does not match the binding")
    if linked is not None:
        link, account = linked
        return Status("linked", kind=link.kind.wire, local_account=account.username)
    return Status("unknown") if record is None else Status("cancelled")


@router.get(SYSTEM_STATUS)
async def get_status(request: Request, binding_id: str) -> Response:
    claims = await authorize(request, "status", binding_id=binding_id)
    if isinstance(claims, Response):
        return claims
    if not BINDING_ID.fullmatch(binding_id):
        return _status(Status("unknown"))  # never one of ours: /binding/start refuses such ids
    status = await binding_status(request.app.state.system, binding_id, claims)
    return status if isinstance(status, Response) else _status(status)


@router.post(SYSTEM_CANCEL)
async def cancel(request: Request, binding_id: str) -> Response:
    """A tombstone unless the binding linked: a late completion of it is then refused."""
    claims = await authorize(request, "cancel", binding_id=binding_id)
    if isinstance(claims, Response):
        return claims
    system: SystemContext = request.app.state.system
    if not BINDING_ID.fullmatch(binding_id):
        return _status(Status("cancelled"))  # such an id can never link here (/binding/start refuses it)
    record = None
    for _ in range(3):
        try:
            async with system.sessionmaker.begin() as db:
                record = await tombstone(db, system.settings.issuer, binding_id)
            break
        except IntegrityError:
            continue  # the binding was settled meanwhile (linked, most likely): answer that
    status = await binding_status(system, binding_id, claims)
    if record is not None and record.outcome is BindingOutcome.cancelled:
        log.info("%s: binding %s cancelled", system.profile.client_id, binding_id)
    return status if isinstance(status, Response) else _status(status)


@router.delete(SYSTEM_UNLINK)
async def unlink(request: Request, sub: str) -> Response:
    """Remove the subject's link. A link created by binding (不可解除) only with ``force``
    (staff force-unbind). Not linked: 204 as well (idempotent), and so when the subject's link
    was made by another binding than the one the token names: that binding's link is gone, and
    the newer one is not the portal's to remove by an old binding's request."""
    claims = await authorize(request, "unlink", sub=sub)
    if isinstance(claims, Response):
        return claims
    system: SystemContext = request.app.state.system
    async with system.sessionmaker.begin() as db:
        linked = await linked_account(db, system.settings.issuer, sub)
        if linked is not None and linked[0].binding_id is not None and "binding_id" in claims \
                and claims["binding_id"] != linked[0].binding_id:
            linked = None
        if linked is not None:
            link, account = linked
            if link.kind is LinkKind.created_by_binding and claims.get("force") is not True:
                return JSONResponse({"error": "created_not_unbindable"}, status_code=409, headers=NO_STORE)
            await remove_link(db, link)
            await end_portal_sessions(db, issuer=system.settings.issuer, sid=None, subject=sub)
            forced = f" (forced: {str(claims.get('reason', ''))[:200]})" if claims.get("force") else ""
            log.info("%s: link of %s to %s removed by the portal%s", system.profile.client_id, sub,
                     account.username, forced)
    return Response(status_code=204, headers=NO_STORE)
