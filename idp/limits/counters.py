"""Fixed-window counters: at most ``limit`` hits per scope until the window resets.

One INSERT … ON CONFLICT DO UPDATE … WHERE per hit, so parallel hits on many instances can
never both take the last place: the database serialises them on the counter's row, and a hit
that finds the window full changes nothing (OWASP ASVS 4.0 V2.2.1, anti-automation controls).
"""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.limits.models import WindowCounter


def _key(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()


async def take(db: AsyncSession, scope: str, *, limit: int, window_seconds: int) -> dt.datetime | None:
    """Count one hit for ``scope``. Returns None when it was counted; when the window is
    already full, counts nothing and returns when the window resets."""
    now = clock.now()
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    table = WindowCounter.__table__
    insert = dialect.insert(WindowCounter).values(key=_key(scope), hits=1,
                                                  resets_at=now + dt.timedelta(seconds=window_seconds))
    over = table.c.resets_at <= now
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"hits": case((over, 1), else_=table.c.hits + 1),
              "resets_at": case((over, insert.excluded.resets_at), else_=table.c.resets_at)},
        where=over | (table.c.hits < limit),
    ).returning(table.c.hits)
    if (await db.execute(statement)).first() is not None:
        return None
    return await db.scalar(select(WindowCounter.resets_at).where(WindowCounter.key == _key(scope)))


async def give_back(db: AsyncSession, scope: str) -> None:
    """Undo one hit that turned out not to count (e.g. an attempt that succeeded)."""
    await db.execute(update(WindowCounter).where(WindowCounter.key == _key(scope), WindowCounter.hits > 0)
                     .values(hits=WindowCounter.hits - 1))

