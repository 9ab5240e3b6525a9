"""Random values, digests and argon2id password hashing (always off the event loop)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cached_property

import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """What is stored instead of a bearer value (a cookie, a state): SHA-256, hex."""
    return hashlib.sha256(value.encode()).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 §4.2, S256."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class Passwords:
    """argon2id; an unknown username is checked against a dummy hash, so timing does not tell
    which accounts exist."""

    def __init__(self, *, memory_kib: int, time_cost: int):
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=Type.ID)

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash("dummy password that matches nothing")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        return await anyio.to_thread.run_sync(self._verify_sync, stored_hash, password)

    def _verify_sync(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy_hash, password) and stored_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
