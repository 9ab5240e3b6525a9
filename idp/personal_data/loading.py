"""Loading a database's data keys onto the engines that read and write it."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from idp.personal_data.keys import ensure_ring, load_ring
from idp.personal_data.ring import PersonalDataRing, install
from idp.settings import Settings


async def open_personal_data(db: AsyncSession, settings: Settings, *engines: AsyncEngine) -> PersonalDataRing:
    """The stored ring (made on a new database), installed on ``engines``. InvalidToken when the
    key-encryption keys configured do not unwrap the stored data keys."""
    ring = await db.run_sync(lambda session: ensure_ring(session.connection(), settings))
    for engine in engines:
        install(engine, ring)
    return ring


async def reload_personal_data(reader: async_sessionmaker[AsyncSession], settings: Settings,
                               *engines: AsyncEngine) -> None:
    """Pick up a data key added by another instance or by ``idp keys add-data-key``."""
    async with reader() as db:
        ring = await db.run_sync(lambda session: load_ring(session.connection(), settings))
    if ring is not None:
        for engine in engines:
            install(engine, ring)
