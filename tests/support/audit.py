"""Audit events written straight into the log, at chosen moments (the log only ever grows, so a
test that needs history makes it this way)."""
from __future__ import annotations

import contextlib
import datetime as dt

from idp.audit.models import AuditEvent
from idp.testing.setup import admin_session
from tests.support.portal import PortalUnderTest

BASE = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # 2026-12-01 00:00 in Beijing


async def add_events(target: PortalUnderTest | str, count: int, *, start: dt.datetime = BASE,
                     step: dt.timedelta = dt.timedelta(minutes=1), event: str = "test.event",
                     **values) -> list[int]:
    """``count`` events, one ``step`` apart from ``start`` on, in the portal under test or in a live
    portal's database given its URL; their ids, oldest first."""
    rows = [AuditEvent(at=start + i * step, event=event, outcome=values.get("outcome", "success"),
                       actor=values.get("actor"), subject=values.get("subject", values.get("actor")),
                       client_id=values.get("client_id"), source_ip=values.get("source_ip"),
                       details=values.get("details", {"n": i}))
            for i in range(count)]
    async with _transaction(target) as db:
        db.add_all(rows)
        await db.flush()
        return [row.id for row in rows]


@contextlib.asynccontextmanager
async def _transaction(target: PortalUnderTest | str):
    if isinstance(target, str):
        async with admin_session(target) as db:
            yield db
    else:
        async with target.portal.sessionmaker.begin() as db:
            yield db
