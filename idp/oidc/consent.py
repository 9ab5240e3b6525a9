"""Consent, a step of the login interaction: the user allows the system the scopes it asked for
(OIDC Core §3.1.2.4), or denies them and the system gets ``access_denied`` (RFC 6749 §4.1.2.1).

Both transitions run in the caller's transaction with the interaction's row already loaded and
its CSRF token checked; the stored-flow machinery itself is :mod:`idp.oidc.interactions`.

Layer: protocol.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.audit.log import record
from idp.db.ops import upsert
from idp.oidc import interactions
from idp.oidc.authorization_request import AuthorizationRequest
from idp.oidc.models import Consent, Interaction
from idp.sessions.store import ActiveSession


async def grant_consent(db: AsyncSession, row: Interaction, session: ActiveSession,
                        auth: AuthorizationRequest) -> None:
    """允许: the account's consent to the system grows by the requested scopes (one upsert, so two
    tabs consenting at once leave one row) and the interaction goes on to its next step."""
    existing = await db.scalar(
        select(Consent).where(Consent.account_id == session.account.id, Consent.client_id == auth.client_id)
    )
    scopes = sorted(set(existing.scopes if existing else []) | set(auth.consent_scope()) - {"openid"})
    await upsert(db, Consent, {"account_id": session.account.id, "client_id": auth.client_id,
                               "scopes": scopes, "granted_at": clock.now()},
                 ["account_id", "client_id"], ["scopes", "granted_at"])
    await interactions.update_request(db, row, consented=True)
    record(db, "consent.granted", actor=session.account.subject, client_id=auth.client_id, scopes=scopes)


async def deny_consent(db: AsyncSession, row: Interaction, session: ActiveSession,
                       auth: AuthorizationRequest) -> None:
    """拒绝: the interaction ends here; the caller sends ``access_denied`` to the system."""
    await interactions.finish_interaction(db, row.id)
    record(db, "consent.denied", actor=session.account.subject, client_id=auth.client_id)
