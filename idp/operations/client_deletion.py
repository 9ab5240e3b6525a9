"""Deleting a client (``idp clients delete``, and the same service for the operator console).

What delete means here: the client ends for good, but its row stays. The audit log, ended
bindings and past consultations name its client_id, so the id keeps meaning that system and is
never given to another (registering it again is refused); nothing re-enables it. What it could
still do is removed: authorization codes, grants with their access and refresh tokens, consents,
pending and pushed authorization requests, its place in users' login sessions and the back-channel logouts
waiting for it.

Deleting is refused while the client is enabled (disable it first, so no login or binding starts
meanwhile) and while any binding to it is live (pending or bound: its slot is held): those are
users' links to the system, ended by unbinding, not by removing the client. The check and the
change are one conditional UPDATE, so of two operators deleting at once one wins and the other is
told, and a binding cannot slip in between.
"""
from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, delete, exists, select, update

from idp import clock
from idp.audit.log import record
from idp.bindings.models import Binding
from idp.clients.models import Client
from idp.errors import DomainError
from idp.oidc.models import (
    AccessToken,
    AuthorizationCode,
    Consent,
    Grant,
    Interaction,
    LogoutDelivery,
    PushedRequest,
    RefreshToken,
)
from idp.operations.clients import get_client
from idp.portal import Portal
from idp.sessions.models import SessionClient


async def delete_client(portal: Portal, client_id: str, *, actor: str) -> dict[str, int]:
    """Delete a disabled client without live bindings; returns how many rows of each kind went."""
    await get_client(portal, client_id)
    now = clock.now()
    live_binding = exists().where(Binding.client_id == client_id, Binding.slot.is_not(None))
    async with portal.sessionmaker.begin() as db:
        result = await db.execute(
            update(Client).where(Client.client_id == client_id, Client.deleted_at.is_(None),
                                 Client.disabled_at.is_not(None), ~live_binding)
            .values(deleted_at=now, updated_at=now).returning(Client.client_id)
            .execution_options(synchronize_session=False))
        if result.first() is None:
            raise await _why_not(db, client_id)
        grants = select(Grant.id).where(Grant.client_id == client_id).scalar_subquery()
        removed = {}
        for name, statement in (
            ("access_tokens", delete(AccessToken).where(AccessToken.grant_id.in_(grants))),
            ("refresh_tokens", delete(RefreshToken).where(RefreshToken.grant_id.in_(grants))),
            ("grants", delete(Grant).where(Grant.client_id == client_id)),
            ("authorization_codes", delete(AuthorizationCode).where(AuthorizationCode.client_id == client_id)),
            ("consents", delete(Consent).where(Consent.client_id == client_id)),
            ("interactions", delete(Interaction).where(Interaction.client_id == client_id)),
            ("pushed_requests", delete(PushedRequest).where(PushedRequest.client_id == client_id)),
            ("session_clients", delete(SessionClient).where(SessionClient.client_id == client_id)),
            ("logout_deliveries", delete(LogoutDelivery).where(LogoutDelivery.client_id == client_id)),
        ):
            gone = await db.execute(statement.execution_options(synchronize_session=False))
            removed[name] = cast(CursorResult, gone).rowcount or 0
        record(db, "client.deleted", actor=actor, client_id=client_id, removed=removed)
    portal.clients.invalidate(client_id)
    return removed


async def _why_not(db, client_id: str) -> DomainError:
    row = await db.get(Client, client_id)
    if row is None:
        return DomainError("ops.client_not_found", status_code=404)
    if row.deleted_at is not None:
        return DomainError("ops.client_already_deleted", status_code=409)
    if row.disabled_at is None:
        return DomainError("ops.client_delete_enabled", status_code=409)
    return DomainError("ops.client_delete_bound", status_code=409)
