"""Searching the audit log: newest first, one page at a time by keyset on (at, id).

A page asks for the rows strictly before the last one shown, ``(at, id) < (:at, :id)``, which
each (filter, at, id) index answers as a range scan: page 1000 costs what page 1 costs, unlike
OFFSET, which reads and throws away every row before the page.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from idp.audit.filters import AuditFilters
from idp.audit.models import AuditEvent
from idp.audit.page_token import make_token, read_token
from idp.settings import Settings

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    next_token: str | None  # None on the last page


def newest_first(filters: AuditFilters, after: tuple[dt.datetime, int] | None, limit: int) -> Select:
    """The rows of a search older than ``after`` (the last row already seen), newest first."""
    statement = select(AuditEvent).where(*filters.conditions())
    if after is not None:
        statement = statement.where(tuple_(AuditEvent.at, AuditEvent.id) < tuple_(*after))
    return statement.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)


async def search_page(db: AsyncSession, settings: Settings, filters: AuditFilters, token: str | None = None,
                      size: int = PAGE_SIZE) -> AuditPage:
    """One page; ``token`` is the previous page's ``next_token`` (a bad one is a DomainError)."""
    after = read_token(settings, filters.fingerprint(), token) if token else None
    rows = list((await db.scalars(newest_first(filters, after, size + 1))).all())
    if len(rows) <= size:
        return AuditPage(rows, None)
    last = rows[size - 1]
    return AuditPage(rows[:size], make_token(settings, filters.fingerprint(), last.at, last.id))


async def every_event(reader: async_sessionmaker[AsyncSession], filters: AuditFilters,
                      batch: int = 1000) -> AsyncIterator[AuditEvent]:
    """The whole search, newest first, read ``batch`` rows at a time, each batch in a short read
    transaction of its own: an export of a month never holds the month in memory, nor one
    transaction open for the whole download."""
    after: tuple[dt.datetime, int] | None = None
    while True:
        async with reader() as db:
            rows = list((await db.scalars(newest_first(filters, after, batch))).all())
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after = (rows[-1].at, rows[-1].id)
