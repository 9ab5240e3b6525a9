"""What one running portal instance holds: settings, the database, and caches that any
instance can rebuild from the database (nothing here is state another instance needs)."""
from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from idp.clients.registry import ClientRegistry
from idp.db.engine import create_read_sessionmaker
from idp.keys.store import KeyRing
from idp.settings import Settings
from shared.hashing import Passwords


@dataclass
class Portal:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    reader: async_sessionmaker[AsyncSession]  # read-only transactions
    keys: KeyRing
    clients: ClientRegistry
    passwords: Passwords
    http: httpx.AsyncClient

    @classmethod
    def build(cls, settings: Settings, engine: AsyncEngine, sessionmaker, http: httpx.AsyncClient) -> Portal:
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            reader=create_read_sessionmaker(engine, pool_size=settings.database_pool_size,
                                            max_overflow=settings.database_max_overflow),
            keys=KeyRing(settings),
            clients=ClientRegistry(settings.client_cache_seconds),
            passwords=Passwords(
                memory_kib=settings.argon2_memory_kib,
                time_cost=settings.argon2_time_cost,
                parallelism=settings.argon2_parallelism,
            ),
            http=http,
        )

    async def client(self, client_id: str):
        return await self.clients.get(self.reader, client_id)

    async def key_ring(self) -> KeyRing:
        await self.keys.refresh_if_stale(self.reader)
        return self.keys
