"""Small statements that must be atomic on both SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignore(db: AsyncSession, model, values: dict, conflict_columns: list[str]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING. Returns True when the row was inserted."""
    dialect = postgresql if db.bind.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    result = await db.execute(stmt)
    return result.rowcount == 1


async def upsert(db: AsyncSession, model, values: dict, conflict_columns: list[str], update_columns: list[str]) -> None:
    dialect = postgresql if db.bind.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=conflict_columns, set_={c: stmt.excluded[c] for c in update_columns}
    )
    await db.execute(stmt)
