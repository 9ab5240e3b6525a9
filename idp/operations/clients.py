"""The operator's client administration, one service for the console, its API and the CLI:
list, register, edit redirect URIs and scopes, rotate the secret (returned once), disable and
enable (delete: idp.operations.client_deletion). Each runs in its own transaction, is recorded in
the audit log with the operator as actor (``staff:<username>`` or ``cli``) and drops the client
from this instance's registry cache (other instances re-read it within ``IDP_CLIENT_CACHE_SECONDS``).

A disabled client is one the registry does not find: the authorization endpoint refuses it, the
token endpoint (refresh included) and introspection cannot authenticate it, and UserInfo refuses
its access tokens. Disabling suspends (enable resumes, tokens not yet expired work again); it is
one conditional UPDATE, so of two operators disabling at once one wins and the other is told.
"""
from __future__ import annotations

import re

from sqlalchemy import select, update

from idp import clock
from idp.audit.log import record
from idp.clients.models import Client
from idp.errors import DomainError
from idp.oidc.client_registration import ClientConfigError, check_client_fields, rotate_secret, upsert_client
from idp.portal import Portal

CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{1,63}")  # a new client's id (the catalogue's: rp, udi, …)


async def list_clients(portal: Portal) -> list[Client]:
    async with portal.reader() as db:
        return list((await db.scalars(select(Client).order_by(Client.client_id))).all())


async def get_client(portal: Portal, client_id: str) -> Client:
    async with portal.reader() as db:
        row = await db.get(Client, client_id) if 0 < len(client_id) <= 64 and client_id.isprintable() else None
    if row is None:
        raise DomainError("ops.client_not_found", status_code=404)
    return row


async def changeable_client(portal: Portal, client_id: str) -> Client:
    """The client, unless it was deleted (idp.operations.client_deletion): that one stays as it is."""
    row = await get_client(portal, client_id)
    if row.deleted_at is not None:
        raise DomainError("ops.client_deleted_final", status_code=409)
    return row


def checked(values: dict, production: bool) -> None:
    try:
        check_client_fields(values, production=production)
    except ClientConfigError as exc:
        raise DomainError("ops.client_invalid", reason=str(exc)) from exc


async def _upsert(portal: Portal, db, client_id: str, values: dict, *, source: str, actor: str) -> Client:
    """upsert_client, its refusals the operator's: what only it checks is a pairwise client's
    sector, with the document at its sector_identifier_uri fetched through the portal's client."""
    try:
        return await upsert_client(db, client_id, values, source=source, production=portal.settings.is_production,
                                   actor=actor, http=portal.http)
    except ClientConfigError as exc:
        raise DomainError("ops.client_invalid", reason=str(exc)) from exc


async def register_client(portal: Portal, client_id: str, values: dict, *, actor: str) -> tuple[Client, str | None]:
    """A new client; returns it and its secret (None for a public or private_key_jwt client),
    shown once."""
    if not CLIENT_ID.fullmatch(client_id):
        raise DomainError("ops.client_id_format")
    name = values.get("display_name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise DomainError("ops.client_name_required")
    values = {"token_endpoint_auth_method": "client_secret_basic", **values}
    checked(values, portal.settings.is_production)
    async with portal.sessionmaker.begin() as db:
        if await db.get(Client, client_id) is not None:
            raise DomainError("ops.client_exists", status_code=409)
        row = await _upsert(portal, db, client_id, values, source="cli", actor=actor)
        secret = None
        if values["token_endpoint_auth_method"].startswith("client_secret"):
            secret = await rotate_secret(db, client_id, actor=actor)
    portal.clients.invalidate(client_id)
    return row, secret


async def edit_client(portal: Portal, client_id: str, *, redirect_uris: list[str] | None = None,
                      scopes: list[str] | None = None, actor: str) -> Client:
    """New redirect URIs and/or scopes, checked by the registration rules (exact https URIs,
    known scopes); recorded as ``client.updated`` with the fields that changed."""
    current = await changeable_client(portal, client_id)
    values: dict = {"token_endpoint_auth_method": current.token_endpoint_auth_method}
    if redirect_uris is not None:
        values["redirect_uris"] = list(redirect_uris)
    if scopes is not None:
        values["scopes"] = list(scopes)
    checked(values, portal.settings.is_production)
    async with portal.sessionmaker.begin() as db:
        row = await _upsert(portal, db, client_id, values, source=current.source, actor=actor)
    portal.clients.invalidate(client_id)
    return row


async def rotate_client_secret(portal: Portal, client_id: str, *, actor: str) -> str:
    """A new secret (only its digest is stored), returned to be shown once. The old one stops
    working at once. Two rotations at once each store their digest in turn: the later write
    holds, so exactly one of the two secrets shown works (the audit log has both)."""
    current = await changeable_client(portal, client_id)
    if not current.token_endpoint_auth_method.startswith("client_secret"):
        raise DomainError("ops.client_public")
    async with portal.sessionmaker.begin() as db:
        secret = await rotate_secret(db, client_id, actor=actor)
    portal.clients.invalidate(client_id)
    return secret


async def disable_client(portal: Portal, client_id: str, *, actor: str) -> None:
    await changeable_client(portal, client_id)
    now = clock.now()
    async with portal.sessionmaker.begin() as db:
        result = await db.execute(update(Client).where(Client.client_id == client_id, Client.disabled_at.is_(None))
                                  .values(disabled_at=now, updated_at=now).returning(Client.client_id)
                                  .execution_options(synchronize_session=False))
        if result.first() is None:  # already disabled, or another operator came first
            raise DomainError("ops.client_already_disabled", status_code=409)
        record(db, "client.disabled", actor=actor, client_id=client_id)
    portal.clients.invalidate(client_id)


async def enable_client(portal: Portal, client_id: str, *, actor: str) -> None:
    await changeable_client(portal, client_id)
    async with portal.sessionmaker.begin() as db:
        result = await db.execute(update(Client).where(Client.client_id == client_id, Client.disabled_at.is_not(None),
                                                       Client.deleted_at.is_(None))
                                  .values(disabled_at=None, updated_at=clock.now()).returning(Client.client_id)
                                  .execution_options(synchronize_session=False))
        if result.first() is None:
            raise DomainError("ops.client_not_disabled", status_code=409)
        record(db, "client.enabled", actor=actor, client_id=client_id)
    portal.clients.invalidate(client_id)
