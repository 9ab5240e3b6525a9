"""Signing and verifying the provider's own JWTs with the key ring."""
from __future__ import annotations

from joserfc import jwt
from joserfc.errors import JoseError

from idp.keys.store import SUPPORTED_ALGS, KeyRing
from shared.safe_json import compact_jws


class BadSignature(Exception):
    pass


def sign(ring: KeyRing, claims: dict, *, alg: str = "RS256", typ: str = "JWT") -> str:
    key = ring.signing_key(alg)
    return jwt.encode({"alg": alg, "typ": typ, "kid": key.kid}, claims, key.private, algorithms=[alg])


def verify(ring: KeyRing, token: str, *, typ: str | None = None) -> tuple[dict, dict]:
    """Verify the signature of a token we issued; returns (header, claims). Claims are not
    validated here: each caller checks what its specification asks. The token's size and
    nesting are bounded (shared.safe_json) before joserfc parses it."""
    try:
        header = compact_jws(token).header
        key = ring.public_key(str(header.get("kid", "")))
        if key is None or header.get("alg") != key.alg or key.alg not in SUPPORTED_ALGS:
            raise BadSignature("unknown key")
        if typ is not None and str(header.get("typ", "")).lower() != typ:
            raise BadSignature("wrong token type")
        decoded = jwt.decode(token, key.private, algorithms=[key.alg])
    except (JoseError, ValueError, KeyError) as exc:
        raise BadSignature(str(exc)) from exc
    return dict(decoded.header), dict(decoded.claims)

