"""argon2id password hashing, always off the event loop (the portal and the business systems).

An unknown username is verified against a dummy hash, so timing does not tell whether an
account exists.

At most one computation per CPU runs at a time (per process and event loop); the others wait
for a turn. 16 parallel logins on 2 cores otherwise run 16 memory-hard computations of 19 MiB
each in as many threads, time-sliced against each other: no faster, and each costs more CPU
(docs/performance.md, "The login's path").
"""
from __future__ import annotations

import asyncio
import os
import weakref
from functools import cached_property

import anyio
import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Passwords:
    def __init__(self, *, memory_kib: int, time_cost: int, parallelism: int = 1):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash("dummy password that matches nothing")

    def hash_sync(self, password: str) -> str:
        return self._hasher.hash(password)

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=cpu_turns())

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        return await anyio.to_thread.run_sync(self._verify_sync, stored_hash, password, limiter=cpu_turns())

    def _verify_sync(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy_hash, password) and stored_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


def cpu_turns() -> anyio.CapacityLimiter:
    """This event loop's limiter of argon2 computations: one per CPU the process may use."""
    loop = asyncio.get_running_loop()
    if loop not in _turns:
        _turns[loop] = anyio.CapacityLimiter(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                             else os.cpu_count() or 1)
    return _turns[loop]
