"""Where the rate limits' counters live: the database (default) or Redis (``IDP_RATE_LIMIT_REDIS_URL``).

Both are fixed windows whose check and count are one atomic step, so parallel hits on any number
of instances never exceed a budget: on the database one ``INSERT … ON CONFLICT DO UPDATE … WHERE``
(idp.limits.counters), in Redis one Lua script (Redis runs a script alone). ``take`` answers None
when the hit was counted, else the seconds until the window resets (nothing counted).

The database counters are part of the caller's transaction; Redis counts at once, whatever
becomes of the transaction. Redis clients are kept per event loop (a client's connections
belong to the loop that opened them); they hold connections, no state of their own.
"""
from __future__ import annotations

import asyncio
import math
import weakref
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.limits.counters import give_back, take
from idp.settings import Settings


class Counters(Protocol):
    async def take(self, db: AsyncSession, scope: str, hits: int, window_seconds: int) -> int | None: ...

    async def give_back(self, db: AsyncSession, scope: str) -> None: ...


class DatabaseCounters:
    """The window_counters table, in the caller's transaction."""

    async def take(self, db: AsyncSession, scope: str, hits: int, window_seconds: int) -> int | None:
        resets_at = await take(db, scope, limit=hits, window_seconds=window_seconds)
        if resets_at is None:
            return None
        return max(1, math.ceil((resets_at - clock.now()).total_seconds()))

    async def give_back(self, db: AsyncSession, scope: str) -> None:
        await give_back(db, scope)


# KEYS[1] the counter; ARGV[1] the budget, ARGV[2] the window in seconds. Counts one hit and
# returns 0, or (the window full) counts nothing and returns the seconds the window has left.
_TAKE = """
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if hits > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  local left = redis.call('TTL', KEYS[1])
  if left < 1 then left = 1 end
  return left
end
return 0
"""
# Gives one hit back, never below zero, and never revives an expired counter.
_GIVE_BACK = """
if (tonumber(redis.call('GET', KEYS[1]) or '0')) > 0 then redis.call('DECR', KEYS[1]) end
return 0
"""


class RedisCounters:
    """Counters in Redis under ``idp:rate:<scope>``; each expires with its window."""

    def __init__(self, client) -> None:
        self.client = client

    async def take(self, db: AsyncSession, scope: str, hits: int, window_seconds: int) -> int | None:
        left = int(await self.client.eval(_TAKE, 1, f"idp:{scope}", hits, window_seconds))
        return None if left == 0 else left

    async def give_back(self, db: AsyncSession, scope: str) -> None:
        await self.client.eval(_GIVE_BACK, 1, f"idp:{scope}")


_DATABASE = DatabaseCounters()
_redis_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, RedisCounters]] = \
    weakref.WeakKeyDictionary()


def counters_for(settings: Settings) -> Counters:
    """Redis when ``IDP_RATE_LIMIT_REDIS_URL`` is set, else the database."""
    url = settings.rate_limit_redis_url.get_secret_value()
    if not url:
        return _DATABASE
    by_url = _redis_clients.setdefault(asyncio.get_running_loop(), {})
    if url not in by_url:
        import redis.asyncio as aioredis  # only when configured

        by_url[url] = RedisCounters(aioredis.Redis.from_url(url))
    return by_url[url]


async def close_redis_counters() -> None:
    """Close this loop's Redis clients (the app's shutdown)."""
    for counters in _redis_clients.pop(asyncio.get_running_loop(), {}).values():
        await counters.client.aclose()
