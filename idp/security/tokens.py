"""Random values and their digests. 32 random bytes everywhere: a guess succeeds with
probability at most 2^-256 (OAuth 2.1 asks for 2^-128, should 2^-160)."""
from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """What we store instead of a bearer value: SHA-256, hex."""
    return hashlib.sha256(value.encode()).hexdigest()


def digests_match(value: str, stored_digest: str | None) -> bool:
    if not stored_digest:
        return False
    return hmac.compare_digest(digest(value), stored_digest)


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
