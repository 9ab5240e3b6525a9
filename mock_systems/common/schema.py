"""Creating the system's tables (create_all: these mock services keep no migrations) and refusing
a database made by an older version."""
from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from mock_systems.common import models  # noqa: F401  (registers the tables on Base.metadata)
from mock_systems.common.db import Base


async def create_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        missing = await connection.run_sync(_missing_columns)
    if missing:  # a database made by an older version: create_all never alters a table
        raise RuntimeError(f"the database lacks {', '.join(missing)}: delete it (e.g. var/<client_id>.sqlite3) "
                           f"and start again; nothing in it is precious")


def _missing_columns(connection) -> list[str]:
    inspector, missing = inspect(connection), []
    for table in Base.metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        missing += [f"{table.name}.{column.name}" for column in table.columns if column.name not in present]
    return missing
