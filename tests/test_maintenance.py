"""Housekeeping deletes what has expired and nothing that still counts."""
import datetime as dt

from sqlalchemy import func, select

from idp import clock
from idp.audit.models import AuditEvent
from idp.captcha.models import Captcha
from idp.clients.models import ClientAssertionJti
from idp.limits.models import WindowCounter
from idp.maintenance import purge_expired


async def _count(put, model) -> int:
    async with put.portal.reader() as db:
        return await db.scalar(select(func.count()).select_from(model))


async def test_purge_removes_expired_rows_and_keeps_live_ones(put):
    now = clock.now()
    long_ago = now - dt.timedelta(days=2)
    async with put.portal.sessionmaker.begin() as db:
        db.add_all([
            Captcha(id="old", answer="ABCD", created_at=long_ago, expires_at=long_ago),
            Captcha(id="live", answer="ABCD", created_at=now, expires_at=now + dt.timedelta(minutes=5)),
            ClientAssertionJti(client_id="rp", jti="old", expires_at=long_ago),
            ClientAssertionJti(client_id="rp", jti="live", expires_at=now + dt.timedelta(minutes=5)),
            WindowCounter(key="old", hits=5, resets_at=long_ago),
            WindowCounter(key="live", hits=5, resets_at=now + dt.timedelta(minutes=5)),
        ])
    audit_before = await _count(put, AuditEvent)
    assert await purge_expired(put.portal) >= 2
    async with put.portal.reader() as db:
        assert (await db.scalars(select(Captcha.id))).all() == ["live"]
        assert (await db.scalars(select(ClientAssertionJti.jti))).all() == ["live"]
        assert (await db.scalars(select(WindowCounter.key))).all() == ["live"]  # a full window stays
    assert await _count(put, AuditEvent) == audit_before
