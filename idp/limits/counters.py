"""Fixed-window counters: at most ``limit`` hits per scope until the window resets.

One INSERT … ON CONFLICT DO UPDATE … WHERE per hit, so parallel hits on many instances can
never both take the last place: the database serialises them on the counter's row, and a hit
that finds the window full changes nothing (OWASP ASVS 4.0 V2.2.1, anti-automation controls).

The statements are built once per dialect with bound values and run on the transaction's
connection: built per hit through the ORM session, the upsert's construction and cache key cost
more than running it (two hits per login attempt).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import cast

from sqlalchemy import Table, bindparam, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.limits.models import WindowCounter

COUNTERS = cast(Table, WindowCounter.__table__)
DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _take_statement(dialect_insert):
    """The upsert of one hit (bound: b_key, b_resets_at, b_now, b_limit); returns a row only if counted."""
    insert = dialect_insert(COUNTERS).values(key=bindparam("b_key"), hits=1, resets_at=bindparam("b_resets_at"))
    over = COUNTERS.c.resets_at <= bindparam("b_now")
    return insert.on_conflict_do_update(
        index_elements=[COUNTERS.c.key],
        set_={"hits": case((over, 1), else_=COUNTERS.c.hits + 1),
              "resets_at": case((over, insert.excluded.resets_at), else_=COUNTERS.c.resets_at)},
        where=over | (COUNTERS.c.hits < bindparam("b_limit")),
    ).returning(COUNTERS.c.hits)


TAKE = {name: _take_statement(dialect_insert) for name, dialect_insert in DIALECT_INSERTS.items()}
RESETS_AT = select(COUNTERS.c.resets_at).where(COUNTERS.c.key == bindparam("b_key"))
GIVE_BACK = (update(COUNTERS).where(COUNTERS.c.key == bindparam("b_key"), COUNTERS.c.hits > 0)
             .values(hits=COUNTERS.c.hits - 1))


def _key(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()


async def take(db: AsyncSession, scope: str, *, limit: int, window_seconds: int) -> dt.datetime | None:
    """Count one hit for ``scope``. Returns None when it was counted; when the window is
    already full, counts nothing and returns when the window resets."""
    now = clock.now()
    key = _key(scope)
    connection = await db.connection()
    counted = await connection.execute(TAKE[connection.dialect.name], {
        "b_key": key, "b_resets_at": now + dt.timedelta(seconds=window_seconds), "b_now": now, "b_limit": limit,
    })
    if counted.first() is not None:
        return None
    return (await connection.execute(RESETS_AT, {"b_key": key})).scalar()


async def give_back(db: AsyncSession, scope: str) -> None:
    """Undo one hit that turned out not to count (e.g. an attempt that succeeded)."""
    connection = await db.connection()
    await connection.execute(GIVE_BACK, {"b_key": _key(scope)})
