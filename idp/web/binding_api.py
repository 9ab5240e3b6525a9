"""The binding API for business systems (HTTP Basic with their client credentials) — the
binding's calls and the notices a system posts to a bound user's 我的消息 — and the
staff API for force-unbind (a bearer token whose SHA-256 is IDP_ADMIN_API_TOKEN_DIGEST).

A system sees only its own bindings: another client's binding id is answered as unknown.
"""
from __future__ import annotations

from typing import cast, get_args

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from idp import clock
from idp.accounts.service import subject_of
from idp.audit.log import record
from idp.bindings import outbox, parties, transitions
from idp.bindings.models import Binding
from idp.clients.authentication import ClientAuthFailed, authenticate_client
from idp.clients.pairwise import seen_by
from idp.clients.registry import ClientInfo
from idp.errors import InvalidClient, InvalidRequest, OAuthError
from idp.inbox.notes import note_from_system
from idp.oidc.claims import principal_claims
from idp.oidc.client_address import client_ip
from idp.oidc.json_endpoints import error_response, json_response
from idp.oidc.scopes import SCOPE_CLAIMS
from idp.security.tokens import digests_match
from idp.web.kit import portal_of
from shared import safe_json
from shared.binding import (
    NOTICE_BODY_MAX,
    NOTICE_TITLE_MAX,
    PORTAL_CONFIRM,
    PORTAL_ENDED,
    PORTAL_INTENT,
    PORTAL_NOTICES,
    PORTAL_REFUSED,
    Intent,
    Mode,
    PortalState,
    RefusalReason,
)

router = APIRouter()
FORCE_UNBIND = "/admin/api/bindings/{binding_id}/force-unbind"
REFUSAL_REASONS = get_args(RefusalReason)


async def _system(request: Request) -> ClientInfo:
    portal = portal_of(request)
    try:
        return await authenticate_client(portal, request.headers, {}, portal.settings.endpoint(request.url.path))
    except ClientAuthFailed as exc:
        async with portal.sessionmaker.begin() as db:
            record(db, "binding.api_auth_failed", outcome="failure", client_id=exc.client_id, reason=exc.reason)
        raise


def _problem(error: str, status_code: int, **extra) -> Response:
    return json_response({"error": error, **extra}, status_code)


async def _body(request: Request) -> dict:
    """The JSON object a system or staff tool sent (none: {}), bounded in size and depth
    (shared.safe_json); anything else raises InvalidRequest, answered 400."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > safe_json.MAX_JSON_BYTES:
            raise InvalidRequest("the body is too large")
    if not raw.strip():
        return {}
    try:
        return safe_json.loads_object(raw)
    except safe_json.UntrustedInput as exc:
        raise InvalidRequest(f"the body is not a JSON object: {exc}") from None


def _text(data: dict, name: str, limit: int) -> str | None:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit or not value.isprintable():
        return None
    return value


@router.get(PORTAL_INTENT)
async def intent(request: Request, binding_id: str) -> Response:
    """What the system needs to link: the subject, the mode, the expiry and the user's claims
    for the scopes the system is registered for."""
    try:
        client = await _system(request)
    except OAuthError as exc:
        return error_response(exc)
    async with portal_of(request).reader() as db:
        try:
            row = await transitions.owned(db, client.client_id, binding_id)
        except LookupError:
            return _problem("not_found", 404)
        principal = await parties.principal_of(db, row)
        if principal is None:  # the account was disabled or the agency removed meanwhile
            return _problem("not_found", 404)
        actor = await parties.actor_subject(db, row, principal)
    names = {c for scope in client.scopes for c in SCOPE_CLAIMS.get(scope, ())}
    seen_as = seen_by(portal_of(request).settings, client)  # the system's own sub (OIDC Core §8.1)
    body = Intent(binding_id=row.id, client_id=row.client_id, sub=seen_as(principal.subject),
                  # Only the transitions write these columns, from the contract's literals.
                  mode=cast(Mode, row.mode), state=cast(PortalState, row.state),
                  expires_at=clock.epoch(row.expires_at),
                  claims=principal_claims(principal, names, seen_as) | {"sub": seen_as(principal.subject)},
                  actor_sub=seen_as(actor))
    return json_response(body.to_json())


async def _report(request: Request, binding_id: str, change) -> Response:
    try:
        client = await _system(request)
        data = await _body(request)
    except OAuthError as exc:
        return error_response(exc)
    try:
        async with portal_of(request).sessionmaker.begin() as db:
            row = await change(db, client.client_id, data)
            return json_response({"state": row.state})
    except LookupError:
        return _problem("not_found", 404)
    except transitions.Conflict as exc:
        return _problem("conflict", 409, state=exc.state)
    except ValueError as exc:
        return _problem("invalid_request", 400, error_description=str(exc))


@router.post(PORTAL_CONFIRM)
async def confirm(request: Request, binding_id: str) -> Response:
    async def change(db, client_id, data):
        kind, local = data.get("kind"), _text(data, "local_account", 200)
        if kind not in ("created", "existing") or local is None:
            raise ValueError("kind and local_account are required")
        return await transitions.confirm(db, client_id, binding_id, kind, local)
    return await _report(request, binding_id, change)


@router.post(PORTAL_REFUSED)
async def refused(request: Request, binding_id: str) -> Response:
    async def change(db, client_id, data):
        if data.get("reason") not in REFUSAL_REASONS:
            raise ValueError("unknown reason")
        return await transitions.refuse(db, client_id, binding_id, data["reason"])
    return await _report(request, binding_id, change)


@router.post(PORTAL_ENDED)
async def ended(request: Request, binding_id: str) -> Response:
    async def change(db, client_id, data):
        return await transitions.system_ended(db, client_id, binding_id, _text(data, "reason", 200) or "unlinked")
    return await _report(request, binding_id, change)


def _notice_text(data: dict, name: str, limit: int) -> str | None:
    """A notice's title (one line) or body (lines), bounded; None when missing or unfit."""
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        return None
    lines = value.strip().split("\n") if name == "body" else [value.strip()]
    return value.strip() if all(line.isprintable() for line in lines) else None


@router.post(PORTAL_NOTICES)
async def notice(request: Request) -> Response:
    """A business system tells a user something (e.g. the UDI review result): a ``system_notice``
    in 我的消息 of the account bound to that system under ``sub``. Any other subject is 404,
    the same answer whether it exists or not."""
    try:
        client = await _system(request)
        data = await _body(request)
    except OAuthError as exc:
        return error_response(exc)
    sub = _text(data, "sub", 64)
    title, body = _notice_text(data, "title", NOTICE_TITLE_MAX), _notice_text(data, "body", NOTICE_BODY_MAX)
    if sub is None or title is None or body is None:
        return _problem("invalid_request", 400, error_description="sub, title and body are required")
    async with portal_of(request).sessionmaker.begin() as db:
        account_id = await parties.bound_account(db, portal_of(request).settings, client, sub)
        if account_id is None:
            return _problem("not_found", 404)
        await note_from_system(db, account_id, client.client_id, title, body)
        record(db, "inbox.system_notice", actor=f"system:{client.client_id}", client_id=client.client_id,
               source_ip=client_ip(request), subject=await subject_of(db, account_id),
               linked_subject=sub)
    return json_response({"posted": True}, 201)


def _staff_allowed(request: Request) -> bool | None:
    """None: the API is off; False: a wrong or missing token; True: a staff tool."""
    expected = portal_of(request).settings.admin_api_token_digest
    if not expected:
        return None
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return False
    return digests_match(header[7:].strip(), expected.lower())


@router.post(FORCE_UNBIND)
async def force_unbind(request: Request, binding_id: str) -> Response:
    """Staff undo any binding (不可解除 included), with a reason and the staff member's id."""
    allowed = _staff_allowed(request)
    if allowed is None:
        return _problem("not_found", 404)
    if not allowed:
        return error_response(InvalidClient("a valid staff bearer token is required",
                                            headers={"WWW-Authenticate": 'Bearer realm="zwfw-admin"'}))
    try:
        data = await _body(request)
    except InvalidRequest as exc:
        return error_response(exc)
    reason, staff = _text(data, "reason", 500), _text(data, "staff", 100)
    if reason is None or staff is None:
        return _problem("invalid_request", 400, error_description="reason and staff are required")
    portal = portal_of(request)
    try:
        async with portal.sessionmaker.begin() as db:
            await transitions.force_unbind(db, binding_id, staff=staff, reason=reason)
    except LookupError:
        return _problem("not_found", 404)
    except transitions.Conflict as exc:
        return _problem("conflict", 409, state=exc.state)
    await outbox.deliver_binding(portal, binding_id)
    async with portal.reader() as db:
        state = await db.scalar(select(Binding.state).where(Binding.id == binding_id))
    return json_response({"state": state}, 200 if state == "ended" else 202)
