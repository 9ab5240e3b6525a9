"""What one running portal instance holds: settings, the database, and caches that any
instance can rebuild from the database (nothing here is state another instance needs)."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from idp.clients.registry import ClientRegistry
from idp.db.engine import create_read_sessionmaker
from idp.keys.store import KeyRing
from idp.personal_data.loading import reload_personal_data
from idp.settings import Settings
from shared.hashing import Passwords

log = logging.getLogger(__name__)


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
    personal_keys_loaded_at: float = float("-inf")  # time.monotonic() of the last load

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

    @property
    def engines(self) -> tuple[AsyncEngine, AsyncEngine]:
        """The writers' and the readers' engine (each carries the personal data keys)."""
        return self.engine, self.reader.kw["bind"]

    async def refresh_personal_data_keys(self) -> None:
        """Reload the personal data keys once they are older than ``IDP_KEY_CACHE_SECONDS``, so a
        key added elsewhere is known here before it encrypts (idp.personal_data.keys)."""
        if time.monotonic() - self.personal_keys_loaded_at < self.settings.key_cache_seconds:
            return
        self.personal_keys_loaded_at = time.monotonic()
        try:
            await reload_personal_data(self.reader, self.settings, *self.engines)
        except Exception as exc:  # the database away, a key-encryption key changed: the loaded keys still hold
            log.warning("personal data keys not reloaded (%s); the loaded ones are kept", type(exc).__name__)

    async def client(self, client_id: str):
        return await self.clients.get(self.reader, client_id)

    async def key_ring(self) -> KeyRing:
        await self.keys.refresh_if_stale(self.reader)
        return self.keys
