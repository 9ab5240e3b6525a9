"""Small statements that must be atomic on both SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
from typing import cast

from sqlalchemy import CursorResult, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


async def insert_ignore(db: AsyncSession, model, values: dict, conflict_columns: list[str]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING. Returns True when the row was inserted."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    result = cast(CursorResult, await db.execute(stmt))
    return result.rowcount == 1


async def upsert(db: AsyncSession, model, values: dict, conflict_columns: list[str], update_columns: list[str]) -> None:
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=conflict_columns, set_={c: stmt.excluded[c] for c in update_columns}
    )
    await db.execute(stmt)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for a PostgreSQL advisory lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


async def lock_for_transaction(db: AsyncSession | AsyncConnection, name: str) -> None:
    """Admit one transaction holding ``name`` at a time, across processes, until it ends.

    PostgreSQL: a transaction-level advisory lock. SQLite needs nothing: every write
    transaction begins IMMEDIATE (idp.db.engine), so writers already go one at a time.
    """
    dialect = db.dialect if isinstance(db, AsyncConnection) else db.get_bind().dialect
    if dialect.name == "postgresql":
        await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(name)})
