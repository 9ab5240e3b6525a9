"""Retention of the audit log: the purge removes what is older than IDP_AUDIT_RETENTION_DAYS, the
database refuses to change any row or delete a young one, and production keeps at least 180 days."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from idp import clock
from idp.audit.models import AuditEvent
from idp.maintenance import purge_expired
from idp.settings import ProductionConfigError, Settings
from tests.support.audit import add_events
from tests.support.portal import running_portal
from tests.support.production import production_overrides


async def _events(put, event="test.event") -> list[int]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(AuditEvent.id).where(AuditEvent.event == event))).all())


async def _sql(put, statement: str, **values):
    async with put.portal.sessionmaker.begin() as db:
        return await db.execute(text(statement), values)


async def test_the_purge_removes_events_older_than_the_retention_and_records_itself(put):
    now = clock.now()
    [old] = await add_events(put, 1, start=now - dt.timedelta(days=181, hours=2))
    [kept] = await add_events(put, 1, start=now - dt.timedelta(days=179))
    await purge_expired(put.portal)
    assert await _events(put) == [kept]
    async with put.portal.reader() as db:
        purge = await db.scalar(select(AuditEvent).where(AuditEvent.event == "audit.purged"))
    assert purge is not None and purge.actor == "maintenance" and purge.details["events"] == 1
    assert old not in await _events(put)


async def test_a_longer_retention_keeps_older_events(database_url):
    async with running_portal(database_url, audit_retention_days=400) as put:
        ids = await add_events(put, 2, start=clock.now() - dt.timedelta(days=401, hours=2),
                               step=dt.timedelta(days=200))
        await purge_expired(put.portal)
        assert await _events(put) == ids[1:]


async def test_a_retention_below_the_floor_outside_production_still_keeps_180_days(database_url):
    async with running_portal(database_url, audit_retention_days=30) as put:
        ids = await add_events(put, 1, start=clock.now() - dt.timedelta(days=100))
        await purge_expired(put.portal)
        assert await _events(put) == ids


async def test_the_database_refuses_to_delete_a_young_event_even_by_direct_sql(put):
    [young] = await add_events(put, 1, start=clock.now() - dt.timedelta(days=179, hours=23))
    for statement in ("DELETE FROM audit_events WHERE id = :id", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"):
            await _sql(put, statement, id=young)
    assert await _events(put) == [young]


async def test_the_database_refuses_every_update_young_or_old(put):
    ids = await add_events(put, 2, start=clock.now() - dt.timedelta(days=400), step=dt.timedelta(days=300))
    for event_id in ids:
        with pytest.raises(Exception, match="append-only"):
            await _sql(put, "UPDATE audit_events SET actor = 'someone else' WHERE id = :id", id=event_id)
        with pytest.raises(Exception, match="append-only"):
            await _sql(put, "UPDATE audit_events SET at = :at WHERE id = :id", id=event_id,
                       at=clock.now() - dt.timedelta(days=1000))
    async with put.portal.reader() as db:
        assert await db.scalar(select(func.count()).where(AuditEvent.actor == "someone else")) == 0


async def test_an_old_event_can_be_deleted_by_sql_too(put):
    """The floor is the database's: an operator's own purge works the same way."""
    [old] = await add_events(put, 1, start=clock.now() - dt.timedelta(days=181))
    await _sql(put, "DELETE FROM audit_events WHERE id = :id", id=old)
    assert await _events(put) == []


def test_production_refuses_a_retention_shorter_than_180_days(tmp_path):
    https = "https://sso.example.gov.cn"
    with pytest.raises(ProductionConfigError, match="IDP_AUDIT_RETENTION_DAYS"):
        Settings(**production_overrides(tmp_path, audit_retention_days=179, issuer=https)).check_production()
    Settings(**production_overrides(tmp_path, audit_retention_days=180, issuer=https)).check_production()
    assert Settings().audit_retention_days == 180
