"""Run alembic migrations from inside a running event loop (the app's lifespan, tests)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from idp.db.ops import lock_for_transaction
from idp.settings import PROJECT_ROOT


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["configure_logging"] = False
    if database_url:
        cfg.attributes["database_url"] = database_url
    return cfg


async def upgrade_to_head(engine: AsyncEngine) -> None:
    def _upgrade(sync_connection, cfg: Config) -> None:
        cfg.attributes["connection"] = sync_connection
        command.upgrade(cfg, "head")

    async with engine.begin() as connection:
        # Replicas starting together on a new database would each create the tables; the
        # second waits here, then finds the database at head (DDL is transactional on PostgreSQL).
        await lock_for_transaction(connection, "idp.migrate")
        await connection.run_sync(_upgrade, alembic_config())
