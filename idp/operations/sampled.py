"""Metrics read from the database when /metrics is scraped: the two outboxes' backlogs, and
the connection pools. The counters of events are in idp/metrics.py.

Each backlog is one indexed-or-small count, capped at :data:`COUNT_CAP` rows so a scrape stays
cheap whatever piles up (a backlog that large is an alert already).
"""
from __future__ import annotations

import asyncio

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from idp.bindings.models import BindingCall
from idp.oidc.models import LogoutDelivery
from idp.portal import Portal
from shared.metrics import pool_families

COUNT_CAP = 100_000
TIMEOUT_SECONDS = 2.0


def _capped_count(model, *where):
    pending = select(model.id).where(*where).limit(COUNT_CAP).subquery()
    return select(func.count()).select_from(pending)


async def _backlogs(portal: Portal) -> tuple[int, int]:
    async with portal.reader() as db:
        logouts = await db.scalar(_capped_count(LogoutDelivery, LogoutDelivery.delivered_at.is_(None),
                                                LogoutDelivery.abandoned_at.is_(None)))
        calls = await db.scalar(_capped_count(BindingCall, BindingCall.done_at.is_(None)))
    return logouts or 0, calls or 0


async def sampled_families(portal: Portal) -> list[Metric]:
    families = pool_families({"writer": portal.engine, "reader": portal.reader.kw["bind"]})
    try:
        logouts, calls = await asyncio.wait_for(_backlogs(portal), TIMEOUT_SECONDS)
    except Exception:  # the database is down: /readyz says so; the scrape still answers
        return families
    families.append(GaugeMetricFamily("idp_backchannel_logout_backlog",
                                      "Back-channel logout tokens not yet delivered (nor given up)", value=logouts))
    families.append(GaugeMetricFamily("idp_binding_calls_backlog",
                                      "Binding calls to business systems not yet made", value=calls))
    return families
