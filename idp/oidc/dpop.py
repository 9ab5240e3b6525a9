"""DPoP: sender-constrained tokens by proof of possession of a client's key (RFC 9449).

A client sends a DPoP proof (§4.2: a JWT of type ``dpop+jwt`` signed by the key whose public half
is in its ``jwk`` header) with each token request and each use of an access token. The portal
checks it (§4.3), binds what it issues to the key's RFC 7638 thumbprint (``cnf.jkt`` in the
access token, §6.1; a public client's refresh token, §5), and at UserInfo wants the ``DPoP``
scheme and a proof whose ``ath`` is the token's hash (§7.1).

Replay: each proof's jti is stored (the digest of key thumbprint and jti, unique) until the proof
would be refused as too old anyway (§11.1); the rows are purged by the maintenance loop.
Nonces (§8): every proof must carry a nonce the portal gave in a ``DPoP-Nonce`` header. A nonce
is an HMAC of a five-minute window under a key derived from the key-encryption key, so every
instance issues and accepts the same ones without shared memory; a nonce is good in its window
and the next. Signatures and thumbprints are joserfc's.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry
from sqlalchemy.exc import IntegrityError

from idp import clock
from idp.errors import InvalidDpopProof, OAuthError, UseDpopNonce
from idp.oidc.models import DpopProofJti
from idp.portal import Portal
from idp.settings import Settings
from shared import safe_json

DPOP_ALGS = ("ES256", "PS256", "RS256")  # dpop_signing_alg_values_supported; asymmetric only (§4.2)
KEY_TYPES = {"ES256": "EC", "PS256": "RSA", "RS256": "RSA"}
PROOF_MAX_AGE = 60  # seconds a proof's iat may lie in the past (§11.1)
CLOCK_LEEWAY = 30  # seconds it may lie in the future: the client's clock may be ahead
NONCE_WINDOW = 300
JKT = re.compile(r"[A-Za-z0-9_-]{43}")  # a base64url SHA-256 thumbprint (dpop_jkt, §10)
MAX_JTI = 256


@dataclass(frozen=True)
class Proof:
    jkt: str  # RFC 7638 thumbprint of the proof's key
    jti: str
    iat: int


def token_hash(access_token: str) -> str:
    """§4.2 ``ath``: base64url SHA-256 of the access token."""
    return base64.urlsafe_b64encode(hashlib.sha256(access_token.encode("ascii")).digest()).rstrip(b"=").decode()


def _nonce_for(settings: Settings, window: int) -> str:
    key = hmac.new(settings.key_encryption_key.get_secret_value().encode(), b"dpop-nonce", hashlib.sha256).digest()
    mac = hmac.new(key, str(window).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


def current_nonce(settings: Settings) -> str:
    return _nonce_for(settings, clock.epoch(clock.now()) // NONCE_WINDOW)


def fresh_nonce(settings: Settings) -> dict[str, str]:
    """§8.2: a successful answer to a DPoP request carries the current nonce, so a client can
    switch to it before its old one runs out."""
    return {"DPoP-Nonce": current_nonce(settings)}


def nonce_is_valid(settings: Settings, nonce: object) -> bool:
    if not isinstance(nonce, str):
        return False
    window = clock.epoch(clock.now()) // NONCE_WINDOW
    return any(hmac.compare_digest(nonce, _nonce_for(settings, w)) for w in (window, window - 1))


def same_uri(presented: object, expected: str) -> bool:
    """§4.3 item 9: htu without query and fragment, syntax-normalized (RFC 3986 §6.2.2, §6.2.3):
    scheme and host case-insensitive, a default port the same as none, an empty path as "/"."""
    if not isinstance(presented, str):
        return False
    try:
        return _normalized(presented) == _normalized(expected)
    except ValueError:  # a port out of range or not a number
        return False


def _normalized(uri: str) -> tuple:
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    port = parts.port or {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port, parts.path or "/"


class ProofRegistry(jws.JWSRegistry):
    """joserfc's registry, with room for an RSA key in the header (its default allows 512 bytes;
    the whole proof is bounded by :func:`shared.safe_json.compact_jws` first)."""

    max_header_length = 4096


def _registry(alg: str) -> jws.JWSRegistry:
    return ProofRegistry(algorithms=[alg])


def proof_header(headers) -> str | None:
    """The one DPoP header of a request, if any (§4.3 item 1: more than one is an error)."""
    values = headers.getlist("dpop")
    if len(values) > 1:
        raise InvalidDpopProof("more than one DPoP header")
    return values[0] if values else None


def check_proof(settings: Settings, value: str, *, method: str, url: str, access_token: str | None) -> Proof:
    """§4.3: a well-formed proof of this request, signed by its own public key; its nonce checked
    last, so that a client without one learns only that (UseDpopNonce, with the nonce)."""
    try:
        header = safe_json.compact_jws(value).header
        alg, jwk = header.get("alg"), header.get("jwk")
        if header.get("typ") != "dpop+jwt" or alg not in DPOP_ALGS or not isinstance(jwk, dict):
            raise InvalidDpopProof("the proof must be a dpop+jwt with an asymmetric alg and a jwk")
        if jwk.get("kty") != KEY_TYPES[alg]:
            raise InvalidDpopProof("the jwk does not fit the alg")
        key = JWKRegistry.import_key(jwk)
        if key.is_private:  # §4.2: the public key only
            raise InvalidDpopProof("the jwk holds a private key")
        verified = jws.deserialize_compact(value, key, registry=_registry(alg))
        claims = safe_json.loads_object(verified.payload)
        jkt = key.thumbprint()
    except InvalidDpopProof:
        raise
    except (JoseError, ValueError, TypeError, KeyError, AttributeError) as exc:  # joserfc on odd JWKs
        raise InvalidDpopProof("the proof is not a valid signed JWT") from exc
    jti, iat, now = claims.get("jti"), claims.get("iat"), clock.epoch(clock.now())
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI:
        raise InvalidDpopProof("the proof needs a jti")
    if claims.get("htm") != method or not same_uri(claims.get("htu"), url):
        raise InvalidDpopProof("htm or htu does not match this request")
    if not isinstance(iat, int) or isinstance(iat, bool) or not now - PROOF_MAX_AGE <= iat <= now + CLOCK_LEEWAY:
        raise InvalidDpopProof("iat is too far from now")
    if access_token is not None and claims.get("ath") != token_hash(access_token):
        raise InvalidDpopProof("ath does not match the access token")
    if not nonce_is_valid(settings, claims.get("nonce")):
        raise UseDpopNonce("a DPoP nonce from the server is required", headers={"DPoP-Nonce": current_nonce(settings)})
    return Proof(jkt=jkt, jti=jti, iat=iat)


async def verify_proof(portal: Portal, value: str, *, method: str, endpoint: str,
                       access_token: str | None = None) -> Proof:
    """:func:`check_proof` for the portal's ``endpoint`` (a path), then the proof used up (§11.1)."""
    proof = check_proof(portal.settings, value, method=method, url=portal.settings.endpoint(endpoint),
                        access_token=access_token)
    expires = dt.datetime.fromtimestamp(proof.iat + PROOF_MAX_AGE + CLOCK_LEEWAY, dt.UTC)
    seen = hashlib.sha256(f"{proof.jkt}\x00{proof.jti}".encode()).hexdigest()
    try:
        async with portal.sessionmaker.begin() as db:
            db.add(DpopProofJti(proof_digest=seen, expires_at=expires))
    except IntegrityError:
        raise InvalidDpopProof("the proof was used before") from None
    return proof


async def request_proof(portal: Portal, request, endpoint: str) -> Proof | None:
    """The verified proof of a token or PAR request, None without a DPoP header."""
    value = proof_header(request.headers)
    if value is None:
        return None
    return await verify_proof(portal, value, method=request.method, endpoint=endpoint)


def as_resource_error(exc: OAuthError) -> OAuthError:
    """§7.1: at a protected resource a DPoP error is a 401 with a ``DPoP`` challenge."""
    challenge = f'DPoP algs="{" ".join(DPOP_ALGS)}", error="{exc.error}"'
    if exc.description:
        challenge += f', error_description="{exc.description}"'
    if exc.error != "invalid_request":  # a malformed request stays 400 (RFC 6750 §3.1)
        exc.status_code = 401
    exc.headers = {**exc.headers, "WWW-Authenticate": challenge}
    return exc
