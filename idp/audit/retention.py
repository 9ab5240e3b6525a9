"""How long the audit log is kept, and the purge of what is older.

IDP_AUDIT_RETENTION_DAYS (default 180; production refuses less). The database refuses, by
trigger, to delete any row younger than FLOOR_DAYS whatever the setting, so a smaller value
outside production purges nothing younger than the floor, and no code path (nor a stray SQL
statement) can cut the log shorter. Archive before the purge with ``idp audit export``.
"""
from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.audit.models import AuditEvent
from idp.settings import Settings

FLOOR_DAYS = 180  # also fixed in migration 0013's triggers
# The trigger compares with the database's clock: purging an hour past the cutoff keeps a small
# skew between the application's clock and the database's from aborting the whole DELETE.
CLOCK_MARGIN = dt.timedelta(hours=1)


def purge_cutoff(settings: Settings, now: dt.datetime) -> dt.datetime:
    """Events before this moment are purged."""
    return now - dt.timedelta(days=max(settings.audit_retention_days, FLOOR_DAYS)) - CLOCK_MARGIN


async def purge_old_events(db: AsyncSession, settings: Settings, now: dt.datetime | None = None) -> int:
    cutoff = purge_cutoff(settings, now or clock.now())
    result = await db.execute(delete(AuditEvent).where(AuditEvent.at < cutoff))
    return cast(CursorResult, result).rowcount or 0
