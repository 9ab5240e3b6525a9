"""运维's pages at /staff/ops: clients (register, redirect URIs and scopes, a new secret shown
once, disable, enable and delete), the signing keys with their state and their rotation, a user's
sessions (found by username, ended with back-channel logout), and accounts (found by username,
mobile or ID number, shown masked; unlock, disable, enable). The services are idp/operations/' — the
JSON API (ops_api.py) and the ``idp`` command line call the same ones."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from idp.errors import DomainError
from idp.oidc.client_address import client_ip
from idp.oidc.scopes import SUPPORTED_SCOPES
from idp.operations import accounts, client_deletion, clients, keys, sessions
from idp.staff.roles import OPERATOR
from idp.web.kit import portal_of
from idp.web.staff import OPERATIONS, OPERATIONS_API
from idp.web.staff.kit import StaffMember, render_staff_page, staff_form_with
from idp.web.staff.ops_kit import Operator, client_row, key_row, session_row
from shared.messages import text
from shared.path_ids import ROW_ID

router = APIRouter()
OperatorForm = Annotated[tuple[StaffMember, FormData], Depends(staff_form_with(OPERATOR))]
CLIENT = OPERATIONS + "/clients/{client_id}"
ACCOUNT = OPERATIONS + "/accounts/{account_id:" + ROW_ID + "}"
NOTICES = {"updated": "ops.client_updated", "disabled": "ops.client_disabled", "enabled": "ops.client_enabled",
           "deleted": "ops.client_deleted",
           "ended": "ops.session_ended", "unlocked": "ops.account_unlocked", "account_disabled": "ops.account_disabled",
           "account_enabled": "ops.account_enabled"}


def field(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def lines(form: FormData, name: str) -> list[str]:
    return [line.strip() for line in field(form, name, 5000).splitlines() if line.strip()]


async def ops_page(request: Request, member: StaffMember, *, username: str = "", q: str = "",
                   status_code: int = 200, error: str | None = None, notice: str | None = None,
                   secret: dict | None = None) -> Response:
    portal = portal_of(request)
    if secret:
        secret["note"] = text("ops.secret_rotated", client_id=secret["client_id"])
    found_sessions = found_accounts = None
    try:
        if username:
            account, listed = await sessions.sessions_of_user(portal, username)
            found_sessions = {"username": account.username, "rows": [session_row(s) for s in listed]}
        if q:
            found_accounts = await accounts.find_accounts(portal, q)
    except DomainError as exc:
        error = error or exc.text()
    return render_staff_page(
        request, "staff/ops.html", member, status_code=status_code, error=error, notice=notice, secret=secret,
        clients=[client_row(row) for row in await clients.list_clients(portal)],
        keys=[key_row(key) for key in await keys.list_keys(portal)], scopes=sorted(SUPPORTED_SCOPES),
        username=username, q=q, found_sessions=found_sessions, found_accounts=found_accounts, api=OPERATIONS_API)


@router.get(OPERATIONS)
async def console(request: Request, member: Operator, username: str = "", q: str = "", done: str = "",
                  who: str = "") -> Response:
    notice = None
    if done in NOTICES:
        notice = text(NOTICES[done], client_id=who[:64], username=who[:64])
    return await ops_page(request, member, username=username[:64], q=q[:64], notice=notice)


def back(done: str, who: str, **search: str) -> RedirectResponse:
    query = {"done": done, "who": who, **{k: v for k, v in search.items() if v}}
    return RedirectResponse(f"{OPERATIONS}?{urlencode(query)}", status_code=303)


async def refused(request: Request, member: StaffMember, exc: DomainError, form: FormData) -> Response:
    return await ops_page(request, member, username=field(form, "username", 64), q=field(form, "q", 64),
                          status_code=exc.status_code, error=exc.text())


@router.post(OPERATIONS + "/clients")
async def register(request: Request, posted: OperatorForm) -> Response:
    member, form = posted
    values = {"display_name": field(form, "display_name"), "redirect_uris": lines(form, "redirect_uris"),
              "scopes": ["openid", *[s for s in form.getlist("scope") if isinstance(s, str) and s != "openid"]],
              "grant_types": ["authorization_code", "refresh_token"]}
    try:
        row, secret = await clients.register_client(portal_of(request), field(form, "client_id", 64), values,
                                                    actor=member.actor)
    except DomainError as exc:
        return await refused(request, member, exc, form)
    return await ops_page(request, member, notice=text("ops.client_registered", client_id=row.client_id),
                          secret={"client_id": row.client_id, "value": secret} if secret else None)


@router.post(CLIENT + "/edit")
async def edit(request: Request, client_id: str, posted: OperatorForm) -> Response:
    member, form = posted
    scopes = [s for s in form.getlist("scope") if isinstance(s, str)]
    try:
        await clients.edit_client(portal_of(request), client_id, redirect_uris=lines(form, "redirect_uris"),
                                  scopes=scopes, actor=member.actor)
    except DomainError as exc:
        return await refused(request, member, exc, form)
    return back("updated", client_id)


@router.post(CLIENT + "/secret")
async def rotate_secret(request: Request, client_id: str, posted: OperatorForm) -> Response:
    member, form = posted
    try:
        secret = await clients.rotate_client_secret(portal_of(request), client_id, actor=member.actor)
    except DomainError as exc:
        return await refused(request, member, exc, form)
    # Answered here, never through a redirect: the secret is in this one page and no URL or log.
    return await ops_page(request, member, secret={"client_id": client_id, "value": secret})


async def client_transition(request: Request, client_id: str, posted, act, done: str) -> Response:
    """One of a client's transitions (disable, enable, delete), back to the page saying ``done``."""
    return await operator_step(request, posted, act(portal_of(request), client_id, actor=posted[0].actor),
                               lambda _: back(done, client_id))


@router.post(CLIENT + "/disable")
async def disable(request: Request, client_id: str, posted: OperatorForm) -> Response:
    return await client_transition(request, client_id, posted, clients.disable_client, "disabled")


@router.post(CLIENT + "/enable")
async def enable(request: Request, client_id: str, posted: OperatorForm) -> Response:
    return await client_transition(request, client_id, posted, clients.enable_client, "enabled")


@router.post(CLIENT + "/delete")
async def delete(request: Request, client_id: str, posted: OperatorForm) -> Response:
    return await client_transition(request, client_id, posted, client_deletion.delete_client, "deleted")


@router.post(OPERATIONS + "/keys/rotate")
async def rotate_keys(request: Request, posted: OperatorForm) -> Response:
    member, _form = posted
    portal = portal_of(request)
    await keys.rotate_signing_keys(portal, actor=member.actor)
    lead = max(portal.settings.key_publish_lead_seconds, portal.settings.key_cache_seconds)
    return await ops_page(request, member, notice=text("ops.keys_rotated", seconds=lead))


@router.post(OPERATIONS + "/sessions/{sid}/end")
async def end_session(request: Request, sid: str, posted: OperatorForm) -> Response:
    return await operator_step(
        request, posted, sessions.end_user_session(portal_of(request), sid, actor=posted[0].actor,
                                                   source_ip=client_ip(request)),
        lambda _: back("ended", "", username=field(posted[1], "username", 64)))


@router.post(ACCOUNT + "/unlock")
async def unlock(request: Request, account_id: int, posted: OperatorForm) -> Response:
    return await operator_step(
        request, posted, accounts.unlock_account(portal_of(request), account_id, actor=posted[0].actor,
                                                 source_ip=client_ip(request)),
        lambda account: back("unlocked", account.username, q=field(posted[1], "q", 64)))


@router.post(ACCOUNT + "/disable")
async def disable_account(request: Request, account_id: int, posted: OperatorForm) -> Response:
    return await operator_step(
        request, posted, accounts.disable_account(portal_of(request), account_id, actor=posted[0].actor,
                                                  source_ip=client_ip(request)),
        lambda account: back("account_disabled", account.username, q=field(posted[1], "q", 64)))


@router.post(ACCOUNT + "/enable")
async def enable_account(request: Request, account_id: int, posted: OperatorForm) -> Response:
    return await operator_step(
        request, posted, accounts.enable_account(portal_of(request), account_id, actor=posted[0].actor,
                                                 source_ip=client_ip(request)),
        lambda account: back("account_enabled", account.username, q=field(posted[1], "q", 64)))


async def operator_step(request: Request, posted, change: Awaitable[Any], then: Callable[[Any], Response]) -> Response:
    """One operator action: its refusal shown on the console page, else ``then(its result)``."""
    member, form = posted
    try:
        result = await change
    except DomainError as exc:
        return await refused(request, member, exc, form)
    return then(result)
