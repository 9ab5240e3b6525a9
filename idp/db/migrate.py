"""Run alembic migrations from inside a running event loop (the app's lifespan, tests)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from idp.db.ops import lock_for_transaction
from idp.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from idp.settings import Settings


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["configure_logging"] = False
    if database_url:
        cfg.attributes["database_url"] = database_url
    return cfg


async def upgrade_to_head(engine: AsyncEngine, settings: Settings | None = None) -> None:
    """``settings``: the key-encryption key a migration that encrypts rows wraps its data keys with
    (migration 0017); without them the environment's (``Settings()``)."""
    cfg = alembic_config()
    if settings is not None:
        cfg.attributes["settings"] = settings

    def _upgrade(sync_connection) -> None:
        cfg.attributes["connection"] = sync_connection
        command.upgrade(cfg, "head")

    async with engine.begin() as connection:
        # Replicas starting together on a new database would each create the tables; the
        # second waits here, then finds the database at head (DDL is transactional on PostgreSQL).
        await lock_for_transaction(connection, "idp.migrate")
        await connection.run_sync(_upgrade)
    if cfg.attributes.get("vacuum") and engine.dialect.name == "sqlite":
        await vacuum_sqlite(engine)


async def vacuum_sqlite(engine: AsyncEngine) -> None:
    """Rebuild the SQLite file so that pages freed by a rewrite (plaintext replaced by ciphertext)
    are gone from it, and fold the write-ahead log into it. VACUUM cannot run inside a transaction
    (the migration's), hence here, on the driver's connection, after the commit."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.execute("VACUUM")
        await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
