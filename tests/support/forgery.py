"""Tokens a relying party must refuse: the portal's real key over wrong claims, keys the portal
never published, and algorithm confusion. For the business systems' verification tests."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.support.portal import PortalUnderTest


def unverified_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def portal_key(put: PortalUnderTest, alg: str = "RS256"):
    return (await put.portal.key_ring()).signing_key(alg)


async def signed_by_portal(put: PortalUnderTest, claims: dict, *, alg: str = "RS256", typ: str = "JWT") -> str:
    """Signed with the portal's own current key: only the claims can make it wrong."""
    key = await portal_key(put, alg)
    return jwt.encode({"alg": alg, "typ": typ, "kid": key.kid}, claims, key.private, algorithms=[alg])


def signed_by_stranger(claims: dict, *, kid: str | None = None, typ: str = "JWT") -> str:
    """An RSA key the portal never had, under a kid of its own (or one the portal uses)."""
    key = RSAKey.generate_key(2048, private=True)
    kid = kid or f"rs256-{secrets.token_urlsafe(12)}"
    return jwt.encode({"alg": "RS256", "typ": typ, "kid": kid}, claims, key, algorithms=["RS256"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def hmac_with_public_key(put: PortalUnderTest, claims: dict, *, typ: str = "JWT") -> str:
    """CVE-2024-33663's shape: HS256 keyed with the portal's public RSA key in DER form (which
    python-jose accepts when algorithms is None), under the portal key's kid. Built by hand:
    joserfc rightly refuses to make it."""
    key = await portal_key(put)
    der = key.private.get_op_key("verify").public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    signing_input = ".".join((_b64(json.dumps({"alg": "HS256", "typ": typ, "kid": key.kid}).encode()),
                              _b64(json.dumps(claims).encode())))
    return signing_input + "." + _b64(hmac.new(der, signing_input.encode(), hashlib.sha256).digest())


def expired(claims: dict) -> dict:
    now = int(time.time())
    return {**claims, "iat": now - 900, "exp": now - 300}
