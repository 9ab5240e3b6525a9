"""The data keys, stored in the database wrapped by the key-encryption key.

Two kinds: cipher keys (SM4-GCM or AES-256-GCM, ``IDP_PERSONAL_DATA_CIPHER``) encrypt the values,
one index key (HMAC-SM3) makes the blind index. Each key is a row: its version, what it is, and
its secret sealed with the key-encryption key ring (idp.security.encryption, the same Fernet ring
as the signing keys; ``idp keys rewrap`` re-wraps these rows too). A plaintext data key is never
stored, printed or logged.

A new cipher key encrypts once every instance can have loaded it: instances reload the ring every
``IDP_KEY_CACHE_SECONDS``, so the newest key older than that encrypts (the first key at once).
The functions take a synchronous connection, so a migration can call them as well as the portal.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from idp import clock
from idp.db.base import Base, UTCDateTime
from idp.personal_data.cipher import CIPHERS, HMAC_SM3, DataKey, new_secret
from idp.personal_data.ring import PersonalDataRing
from idp.security.encryption import decrypt_at_rest, encrypt_at_rest, rewrapped
from idp.settings import Settings

CIPHER = "cipher"
INDEX = "index"


class PersonalDataKey(Base):
    __tablename__ = "personal_data_keys"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    purpose: Mapped[str] = mapped_column(String(8))  # cipher | index
    algorithm: Mapped[str] = mapped_column(String(16))  # SM4-GCM | AES-256-GCM | HMAC-SM3
    wrapped: Mapped[str] = mapped_column(Text)  # the secret, Fernet-encrypted with the key-encryption key
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


def load_ring(connection: Connection, settings: Settings) -> PersonalDataRing | None:
    """The ring stored in the database, or None before its first keys. InvalidToken when the
    configured key-encryption keys do not unwrap a data key (the portal then does not start)."""
    rows = connection.execute(select(PersonalDataKey).order_by(PersonalDataKey.version)).all()
    cipher: dict[int, DataKey] = {}
    created: dict[int, dt.datetime] = {}
    index: DataKey | None = None
    for row in rows:
        key = DataKey(row.version, row.algorithm, decrypt_at_rest(settings, row.wrapped))
        if row.purpose == INDEX:
            index = key
        else:
            cipher[row.version] = key
            created[row.version] = row.created_at
    if not cipher or index is None:
        return None
    known_everywhere = clock.now() - dt.timedelta(seconds=settings.key_cache_seconds)
    in_force = [version for version, at in created.items() if at <= known_everywhere]
    return PersonalDataRing(cipher, max(in_force) if in_force else min(cipher), index)


def _add_key(connection: Connection, settings: Settings, purpose: str, algorithm: str) -> int:
    version = (connection.scalar(select(PersonalDataKey.version).order_by(PersonalDataKey.version.desc())) or 0) + 1
    connection.execute(insert(PersonalDataKey).values(
        version=version, purpose=purpose, algorithm=algorithm,
        wrapped=encrypt_at_rest(settings, new_secret(algorithm)), created_at=clock.now()))
    return version


def ensure_ring(connection: Connection, settings: Settings) -> PersonalDataRing:
    """The stored ring, made on first use (a cipher key and an index key). Callers hold a lock
    (start-up, migration) so that instances starting together make one."""
    ring = load_ring(connection, settings)
    if ring is not None:
        return ring
    purposes = set(connection.scalars(select(PersonalDataKey.purpose)).all())
    if CIPHER not in purposes:
        _add_key(connection, settings, CIPHER, settings.personal_data_cipher)
    if INDEX not in purposes:
        _add_key(connection, settings, INDEX, HMAC_SM3)
    ring = load_ring(connection, settings)
    assert ring is not None
    return ring


def add_cipher_key(connection: Connection, settings: Settings) -> int:
    """A new cipher key (of ``IDP_PERSONAL_DATA_CIPHER``); its version."""
    assert settings.personal_data_cipher in CIPHERS
    return _add_key(connection, settings, CIPHER, settings.personal_data_cipher)


def rewrap_data_keys(connection: Connection, settings: Settings) -> tuple[int, int]:
    """Each data key wrapped anew with the current key-encryption key, by one UPDATE conditional
    on the wrapping it read: (re-wrapped, already current)."""
    changed = already = 0
    for version, wrapped in connection.execute(select(PersonalDataKey.version, PersonalDataKey.wrapped)).all():
        new = rewrapped(settings, wrapped)
        if new is None:
            already += 1
            continue
        result = connection.execute(update(PersonalDataKey)
                                    .where(PersonalDataKey.version == version, PersonalDataKey.wrapped == wrapped)
                                    .values(wrapped=new))
        changed += result.rowcount
    return changed, already
