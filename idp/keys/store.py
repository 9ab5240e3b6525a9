"""Signing keys in the database: creation, rotation, and the cached key ring.

Rotation (OIDC Core §10.1.1): the new key is published at once but signs only after
``key_publish_lead_seconds``, so relying parties that cache the JWKS see it before it is used;
the old key stops signing then and stays published until everything it signed has expired.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.audit.log import record
from idp.keys.models import SigningKey
from idp.security.encryption import decrypt_at_rest, encrypt_at_rest
from idp.security.tokens import new_token
from idp.settings import Settings

SUPPORTED_ALGS = ("RS256", "ES256")


def _generate(alg: str):
    if alg == "RS256":
        return RSAKey.generate_key(2048, private=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    raise ValueError(f"unsupported signing algorithm {alg}")


def _new_key_row(settings: Settings, alg: str, signs_from: dt.datetime) -> SigningKey:
    kid = f"{alg.lower()}-{new_token()[:16]}"
    key = _generate(alg)
    private = key.as_dict(private=True)
    public = {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}
    return SigningKey(
        kid=kid,
        alg=alg,
        public_jwk=public,
        private_jwk_encrypted=encrypt_at_rest(settings, json.dumps(private).encode()),
        created_at=clock.now(),
        signs_from=signs_from,
    )


async def ensure_signing_keys(db: AsyncSession, settings: Settings) -> list[str]:
    """Create a key for each algorithm that has none yet (first start). Returns new kids."""
    existing = set((await db.scalars(select(SigningKey.alg).where(SigningKey.signs_until.is_(None)))).all())
    created = []
    for alg in SUPPORTED_ALGS:
        if alg not in existing:
            row = _new_key_row(settings, alg, signs_from=clock.now())
            db.add(row)
            created.append(row.kid)
    if created:
        record(db, "keys.created", actor="startup", kids=created)
    return created


async def rotate_keys(db: AsyncSession, settings: Settings, algs=SUPPORTED_ALGS) -> list[SigningKey]:
    """Publish a successor for each algorithm; the current key retires when it starts signing."""
    now = clock.now()
    # Every instance must have reloaded its ring (key_cache_seconds) before the switch: one
    # still holding the old ring would find no key to sign with, or sign with the retired one.
    lead = max(settings.key_publish_lead_seconds, settings.key_cache_seconds)
    switch_at = now + dt.timedelta(seconds=lead)
    unpublish_at = switch_at + dt.timedelta(seconds=settings.max_signed_token_ttl)
    new_rows = []
    for alg in algs:
        current = (
            await db.scalars(
                select(SigningKey).where(SigningKey.alg == alg, SigningKey.signs_until.is_(None))
            )
        ).all()
        for row in current:
            row.signs_until = switch_at
            row.unpublish_at = unpublish_at
        new_row = _new_key_row(settings, alg, signs_from=switch_at)
        db.add(new_row)
        new_rows.append(new_row)
    return new_rows


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    alg: str
    private: RSAKey | ECKey
    public: RSAPublicKey | EllipticCurvePublicKey  # parsed once: verifying our own tokens (idp.keys.jws)
    public_jwk: dict
    signs_from: dt.datetime
    signs_until: dt.datetime | None
    unpublish_at: dt.datetime | None

    def published(self, now: dt.datetime) -> bool:
        return self.unpublish_at is None or self.unpublish_at > now


class KeyRing:
    """Published and signing keys, loaded from the database and cached for a short time.

    The cache TTL must stay well below the publish lead, so every instance switches in time.
    """

    def __init__(self, settings: Settings):
        self._settings = settings
        self._keys: list[LoadedKey] = []
        self._loaded_at = float("-inf")
        self._decrypted: dict[str, RSAKey | ECKey] = {}

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    async def refresh_if_stale(self, db_factory) -> None:
        if time.monotonic() - self._loaded_at < self._settings.key_cache_seconds:
            return
        # An unpublished key still verifies our own id_token_hint for as long as a session
        # lasts: a logout or prompt=none after a rotation must not fail on the user.
        verify_after = clock.now() - dt.timedelta(seconds=self._settings.session_absolute_seconds)
        async with db_factory() as db:
            rows = (
                await db.scalars(
                    select(SigningKey).where(
                        or_(SigningKey.unpublish_at.is_(None), SigningKey.unpublish_at > verify_after)
                    )
                )
            ).all()
        keys = []
        for row in rows:
            private = self._decrypted.get(row.kid)
            if private is None:
                data = json.loads(decrypt_at_rest(self._settings, row.private_jwk_encrypted))
                private = (RSAKey if row.alg == "RS256" else ECKey).import_key(data)
                self._decrypted[row.kid] = private
            keys.append(LoadedKey(row.kid, row.alg, private, private.public_key, row.public_jwk, row.signs_from,
                                  row.signs_until, row.unpublish_at))
        self._keys = sorted(keys, key=lambda k: k.signs_from)
        self._loaded_at = time.monotonic()

    def jwks(self) -> dict:
        now = clock.now()
        return {"keys": [k.public_jwk for k in self._keys if k.published(now)]}

    def signing_key(self, alg: str) -> LoadedKey:
        now = clock.now()
        usable = [
            k for k in self._keys
            if k.alg == alg and k.signs_from <= now and (k.signs_until is None or now < k.signs_until)
        ]
        if not usable:
            raise RuntimeError(f"no signing key for {alg}; run `idp keys rotate`")
        return usable[-1]

    def public_key(self, kid: str) -> LoadedKey | None:
        for key in self._keys:
            if key.kid == kid:
                return key
        return None
