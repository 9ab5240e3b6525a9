"""Signing and verifying the provider's own JWTs with the key ring.

Signing (RFC 7515 §5.1, compact serialization §7.1) is three base64url segments: the header
{alg, typ, kid} and the claims as compact JSON (orjson, UTF-8 as RFC 7519 §7.1 asks), and the
signature ``cryptography`` makes with the key's private key: PKCS #1 v1.5 with SHA-256 for RS256,
ECDSA P-256 with SHA-256 for ES256 as r ‖ s of 32 bytes each (RFC 7518 §3.3, §3.4). joserfc's
generic encoder (its header registry and key checks per call) cost about twice the ECDSA
signature itself.

Verification (RFC 7515 §5.2) does not go through a generic JOSE library: every token it sees
claims to be ours, so the key is ours, found by ``kid``, and the algorithm is that key's own
(RFC 8725 §3.1: the header's ``alg`` must name it, so ``none``, HS256 keyed with the public key
and any other substitution are refused before a signature is looked at). The signature is checked
by ``cryptography`` with the public key parsed once per key; only then is the payload decoded.
joserfc's generic path (its header registry, key set and claim objects) cost about half of a
verification."""
from __future__ import annotations

import base64
import binascii
import json
import re

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from idp.keys.store import SUPPORTED_ALGS, KeyRing, LoadedKey
from shared import safe_json

# Three base64url segments (RFC 7515 §7.1), no padding, nothing else: checked in one pass before
# anything is decoded, within the bound every other verifier applies (shared.safe_json).
COMPACT = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")
MAX_HEADER_CHARS = 1024  # ours are {"alg", "typ", "kid"}: under 100
ES256_SIGNATURE_BYTES = 64  # r ‖ s, 32 bytes each (RFC 7518 §3.4)
SHA256 = hashes.SHA256()
ECDSA_SHA256 = ec.ECDSA(SHA256)
PKCS1V15 = padding.PKCS1v15()


class BadSignature(Exception):
    pass


def sign(ring: KeyRing, claims: dict, *, alg: str = "RS256", typ: str = "JWT") -> str:
    """``claims`` signed with the ring's current key for ``alg``, as a compact JWS."""
    key = ring.signing_key(alg)
    header = _encoded(orjson.dumps({"alg": alg, "typ": typ, "kid": key.kid}))
    payload = _encoded(orjson.dumps(claims))
    signing_input = f"{header}.{payload}"
    return f"{signing_input}.{_encoded(_signature(key, signing_input.encode('ascii')))}"


def _encoded(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature(key: LoadedKey, signing_input: bytes) -> bytes:
    private = key.private.private_key
    if key.alg == "ES256" and isinstance(private, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private.sign(signing_input, ECDSA_SHA256))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if key.alg == "RS256" and isinstance(private, rsa.RSAPrivateKey):
        return private.sign(signing_input, PKCS1V15, SHA256)
    raise ValueError(f"no signer for {key.alg} with a {type(private).__name__}")


def _decoded(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:  # a length no base64 has (4n + 1)
        raise BadSignature("token segment is not base64url") from exc


def _signature_valid(key: LoadedKey, signature: bytes, signing_input: bytes) -> bool:
    public = key.public
    try:
        if key.alg == "ES256" and isinstance(public, ec.EllipticCurvePublicKey):
            if len(signature) != ES256_SIGNATURE_BYTES:
                return False
            r = int.from_bytes(signature[:32], "big")
            s = int.from_bytes(signature[32:], "big")
            public.verify(encode_dss_signature(r, s), signing_input, ECDSA_SHA256)
        elif key.alg == "RS256" and isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, signing_input, PKCS1V15, SHA256)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def verify(ring: KeyRing, token: str, *, typ: str | None = None) -> tuple[dict, dict]:
    """Verify the signature of a token we issued; returns (header, claims). Claims are not
    validated here: each caller checks what its specification asks."""
    if not isinstance(token, str) or len(token) > safe_json.MAX_TOKEN_CHARS:
        raise BadSignature("token too large")
    parts = COMPACT.fullmatch(token)
    if parts is None:
        raise BadSignature("not a compact JWS")
    header_segment, payload_segment, signature_segment = parts.groups()
    if len(header_segment) > MAX_HEADER_CHARS:
        raise BadSignature("header too large")
    try:
        header = safe_json.loads_object(_decoded(header_segment))
    except ValueError as exc:
        raise BadSignature("header is not a JSON object") from exc
    key = ring.public_key(str(header.get("kid", "")))
    if key is None or header.get("alg") != key.alg or key.alg not in SUPPORTED_ALGS:
        raise BadSignature("unknown key")
    if typ is not None and str(header.get("typ", "")).lower() != typ:
        raise BadSignature("wrong token type")
    if "crit" in header:  # RFC 7515 §4.1.11: we never set it, so it names nothing we understand
        raise BadSignature("unsupported critical header")
    signature = _decoded(signature_segment)
    # One encoding per signature: a segment whose unused trailing bits differ decodes to the same
    # bytes, and would make a second string of the same token.
    if _encoded(signature) != signature_segment:
        raise BadSignature("signature segment is not canonical base64url")
    if not _signature_valid(key, signature, f"{header_segment}.{payload_segment}".encode("ascii")):
        raise BadSignature("signature does not verify")
    try:  # signed by us: its size is bounded above, its content is what we wrote
        claims = json.loads(_decoded(payload_segment))
    except ValueError as exc:
        raise BadSignature("payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise BadSignature("payload is not a JSON object")
    return header, claims
