"""Housekeeping: deleting rows whose only purpose has passed.

Nothing here is needed for correctness (every check also looks at expiry); it keeps tables
small. Safe on many instances at once: each statement is one idempotent DELETE. The audit log
loses only events older than IDP_AUDIT_RETENTION_DAYS (idp.audit.retention); the database's own
triggers refuse to delete anything younger than six months.
"""
from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import CursorResult, delete, or_

from idp import clock
from idp.audit.log import record
from idp.audit.retention import purge_cutoff, purge_old_events
from idp.captcha.models import Captcha
from idp.clients.models import ClientAssertionJti
from idp.codes.models import OneTimeCode
from idp.flows.models import Flow
from idp.limits.models import WindowCounter
from idp.notify.models import QueuedMessage
from idp.oidc.models import (
    AccessToken,
    AuthorizationCode,
    DpopProofJti,
    Interaction,
    LogoutDelivery,
    PushedRequest,
)
from idp.portal import Portal
from idp.staff.models import StaffSession

# Tombstones outlive expiry a little, so a replay just after expiry still finds its row.
GRACE = dt.timedelta(hours=1)
DELIVERY_KEEP = dt.timedelta(days=7)


async def purge_expired(portal: Portal) -> int:
    now = clock.now()
    old = now - GRACE
    staff_idle = dt.timedelta(seconds=portal.settings.staff_session_idle_seconds)
    statements = [
        delete(ClientAssertionJti).where(ClientAssertionJti.expires_at < old),
        delete(DpopProofJti).where(DpopProofJti.expires_at < now),  # too old to be accepted anyway
        delete(Captcha).where(Captcha.expires_at < now),
        delete(Interaction).where(Interaction.expires_at < old),
        delete(PushedRequest).where(PushedRequest.expires_at < now),  # RFC 9126: unused and expired
        delete(Flow).where(Flow.expires_at < old),
        delete(OneTimeCode).where(OneTimeCode.expires_at < old),
        delete(WindowCounter).where(WindowCounter.resets_at < now),
        delete(AuthorizationCode).where(AuthorizationCode.expires_at < old),
        delete(AccessToken).where(AccessToken.expires_at < old),
        # Every showing of the staff sign-in page starts a session: the idle ones go too.
        delete(StaffSession).where(or_(StaffSession.expires_at < old, StaffSession.last_seen_at < old - staff_idle)),
        delete(QueuedMessage).where(QueuedMessage.expires_at < old),  # sent, given up or expired: text cleared
        delete(LogoutDelivery).where(
            or_(LogoutDelivery.delivered_at < now - DELIVERY_KEEP, LogoutDelivery.abandoned_at < now - DELIVERY_KEEP)
        ),
    ]
    removed = 0
    for statement in statements:
        async with portal.sessionmaker.begin() as db:
            removed += cast(CursorResult, await db.execute(statement)).rowcount or 0
    async with portal.sessionmaker.begin() as db:
        purged = await purge_old_events(db, portal.settings, now)
        if purged:  # the purge itself is on the record, with what it removed
            record(db, "audit.purged", actor="maintenance", events=purged,
                   before=purge_cutoff(portal.settings, now).isoformat())
    return removed + purged
