"""运维's JSON API under /staff/api/ops: clients, signing keys, users' sessions, accounts — the
same services as the console's pages and the ``idp`` command line (idp/operations/).

Signed-in operators only (the staff session and the 运维 role; a write also carries the
session's CSRF token in ``X-CSRF-Token``, see idp/web/staff/ops_kit.py). A refusal is JSON:
``{"error": <message id>, "message": <the portal's words>}`` with its status (404, 409, 400).
The OpenAPI document of exactly these routes is at /staff/api/ops/openapi.json, for operators
only; the app's global /docs and /openapi.json stay off.
"""
from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from idp.oidc.client_address import client_ip
from idp.operations import accounts, client_deletion, clients, keys, sessions
from idp.web.kit import portal_of
from idp.web.staff import OPERATIONS_API
from idp.web.staff.ops_kit import Operator, OperatorWrite, client_row, key_row, session_row
from shared.path_ids import ROW_ID
from shared.refusals import Refusal


class RefusalAsJson(APIRoute):
    """A rule's refusal answers JSON, not the console's error page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Refusal as exc:  # a missing CSRF token (403) included
                return JSONResponse({"error": exc.message_id, "message": exc.text()}, status_code=exc.status_code)
        return answer


router = APIRouter(prefix=OPERATIONS_API, route_class=RefusalAsJson, tags=["运维"])
URIS = Field(default=None, max_length=20)
SCOPES = Field(default=None, max_length=20)


class NewClient(BaseModel):
    client_id: str = Field(max_length=64, description="3 to 64 lower-case letters, digits, _ or -")
    display_name: str = Field(max_length=200)
    token_endpoint_auth_method: Literal["client_secret_basic", "client_secret_post", "none"] = "client_secret_basic"
    redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    post_logout_redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    grant_types: list[str] = Field(default=["authorization_code", "refresh_token"], max_length=3)
    scopes: list[str] = Field(default=["openid"], max_length=20)
    backchannel_logout_uri: str | None = Field(default=None, max_length=500)
    require_pushed_authorization_requests: bool = Field(
        default=False, description="its logins start at the PAR endpoint only (RFC 9126 §6)")
    subject_type: Literal["public", "pairwise"] = Field(
        default="public", description="pairwise: a sub of its own sector for each user (OIDC Core §8.1)")
    sector_identifier_uri: str | None = Field(
        default=None, max_length=500, description="a JSON array listing the redirect URIs; its host is the sector")


class ClientChange(BaseModel):
    redirect_uris: list[str] | None = URIS
    scopes: list[str] | None = SCOPES


class Secret(BaseModel):
    client_id: str
    client_secret: str = Field(description="shown once: only its digest is stored")


@router.get("/me", summary="the signed-in operator and the CSRF token its writes carry")
async def me(member: Operator) -> dict:
    return {"username": member.username, "name": member.name, "roles": sorted(member.roles),
            "csrf_token": member.csrf_token}


@router.get("/clients", summary="every client, disabled ones included")
async def list_clients(request: Request, _member: Operator) -> list[dict]:
    return [client_row(row) for row in await clients.list_clients(portal_of(request))]


@router.post("/clients", status_code=201, summary="register a client; its secret is in the answer, once")
async def register_client(request: Request, member: OperatorWrite, body: NewClient) -> dict:
    values = body.model_dump(exclude={"client_id"}, exclude_none=True)
    row, secret = await clients.register_client(portal_of(request), body.client_id, values, actor=member.actor)
    return {"client": client_row(row), "client_secret": secret}


@router.patch("/clients/{client_id}", summary="change a client's redirect URIs and/or scopes")
async def edit_client(request: Request, client_id: str, member: OperatorWrite, body: ClientChange) -> dict:
    row = await clients.edit_client(portal_of(request), client_id, redirect_uris=body.redirect_uris,
                                    scopes=body.scopes, actor=member.actor)
    return client_row(row)


@router.post("/clients/{client_id}/secret", summary="a new client secret, shown once; the old one stops working")
async def rotate_secret(request: Request, client_id: str, member: OperatorWrite) -> Secret:
    secret = await clients.rotate_client_secret(portal_of(request), client_id, actor=member.actor)
    return Secret(client_id=client_id, client_secret=secret)


@router.post("/clients/{client_id}/disable", summary="no authorization, token, refresh or UserInfo for it")
async def disable_client(request: Request, client_id: str, member: OperatorWrite) -> dict:
    await clients.disable_client(portal_of(request), client_id, actor=member.actor)
    return client_row(await clients.get_client(portal_of(request), client_id))


@router.post("/clients/{client_id}/enable", summary="a disabled client works again")
async def enable_client(request: Request, client_id: str, member: OperatorWrite) -> dict:
    await clients.enable_client(portal_of(request), client_id, actor=member.actor)
    return client_row(await clients.get_client(portal_of(request), client_id))


@router.post("/clients/{client_id}/delete", summary="delete a disabled client without live bindings, for good; "
                                                   "its tokens, grants and consents go")
async def delete_client(request: Request, client_id: str, member: OperatorWrite) -> dict:
    removed = await client_deletion.delete_client(portal_of(request), client_id, actor=member.actor)
    return {"client": client_row(await clients.get_client(portal_of(request), client_id)), "removed": removed}


@router.get("/keys", summary="signing keys with their state: published, signing, retired, unpublished")
async def list_keys(request: Request, _member: Operator) -> list[dict]:
    return [key_row(key) for key in await keys.list_keys(portal_of(request))]


@router.post("/keys/rotate", summary="publish a successor of each signing key; it signs after the publish lead")
async def rotate_keys(request: Request, member: OperatorWrite) -> list[dict]:
    return [key_row(key) for key in await keys.rotate_signing_keys(portal_of(request), actor=member.actor)]


@router.get("/sessions", summary="a user's live login sessions, by username")
async def user_sessions(request: Request, _member: Operator, username: str = "") -> dict:
    account, listed = await sessions.sessions_of_user(portal_of(request), username)
    return {"username": account.username, "sessions": [session_row(s) for s in listed]}


@router.post("/sessions/{sid}/end", summary="end a session everywhere, with back-channel logout")
async def end_session(request: Request, sid: str, member: OperatorWrite) -> dict:
    await sessions.end_user_session(portal_of(request), sid, actor=member.actor, source_ip=client_ip(request))
    return {"sid": sid, "ended": True}


@router.get("/accounts", summary="accounts by username, mobile or ID number (shown masked)")
async def find_accounts(request: Request, _member: Operator, q: str = "") -> list[dict]:
    return [vars(view) for view in await accounts.find_accounts(portal_of(request), q)]


@router.post("/accounts/{account_id:" + ROW_ID + "}/unlock", summary="clear the login lockout")
async def unlock_account(request: Request, account_id: int, member: OperatorWrite) -> dict:
    account = await accounts.unlock_account(portal_of(request), account_id, actor=member.actor,
                                            source_ip=client_ip(request))
    return {"username": account.username, "unlocked": True}


@router.post("/accounts/{account_id:" + ROW_ID + "}/disable", summary="disable an account; its sessions end everywhere")
async def disable_account(request: Request, account_id: int, member: OperatorWrite) -> dict:
    account = await accounts.disable_account(portal_of(request), account_id, actor=member.actor,
                                             source_ip=client_ip(request))
    return {"username": account.username, "disabled": True}


@router.post("/accounts/{account_id:" + ROW_ID + "}/enable",
             summary="enable an account disabled here (not a deactivated duplicate)")
async def enable_account(request: Request, account_id: int, member: OperatorWrite) -> dict:
    account = await accounts.enable_account(portal_of(request), account_id, actor=member.actor,
                                            source_ip=client_ip(request))
    return {"username": account.username, "disabled": False}


@router.get("/openapi.json", include_in_schema=False)
async def openapi(_member: Operator) -> dict:
    """This API's own OpenAPI document (FastAPI's), for signed-in operators only."""
    return get_openapi(title="政务服务门户 运维 API", version="1", routes=router.routes,
                       description=__doc__)
