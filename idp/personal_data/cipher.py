"""The algorithms and the envelope of one encrypted value (docs/security.md, "Envelope").

A value is stored as ``<key version>$<base64url(nonce ‖ ciphertext ‖ tag)>``: the version names
the data key (and through it the algorithm), a fresh 96-bit nonce per value, a 128-bit GCM tag.
The column's name is the additional authenticated data, so a ciphertext copied into another
column does not decrypt there. SM4-GCM (GB/T 32907 block cipher, GCM as in RFC 8998) runs through
OpenSSL's SM4 with the generic GCM mode; AES-256-GCM is the alternative.

The blind index is HMAC-SM3 (GB/T 32905) of the normalised value under a key of its own, as hex:
equal values give equal digests, so an equality lookup is one indexed query, while the digest
alone tells nothing without the key (a mobile's 10¹¹ values cannot be tried offline).
"""
from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SM4_GCM = "SM4-GCM"
AES_256_GCM = "AES-256-GCM"
HMAC_SM3 = "HMAC-SM3"
KEY_BYTES = {SM4_GCM: 16, AES_256_GCM: 32, HMAC_SM3: 32}
CIPHERS = (SM4_GCM, AES_256_GCM)
NONCE_BYTES = 12
TAG_BYTES = 16
SEPARATOR = "$"


class UndecryptableValue(ValueError):
    """Not an envelope, under a key the ring does not hold, or altered (the tag does not match)."""


@dataclass(frozen=True)
class DataKey:
    version: int
    algorithm: str  # one of CIPHERS, or HMAC_SM3 for an index key
    secret: bytes

    def __repr__(self) -> str:  # never the secret, in a log or a traceback
        return f"DataKey(version={self.version}, algorithm={self.algorithm!r})"


def new_secret(algorithm: str) -> bytes:
    return os.urandom(KEY_BYTES[algorithm])


def _sm4_gcm_seal(secret: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(secret), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def _sm4_gcm_open(secret: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    decryptor = Cipher(algorithms.SM4(secret), modes.GCM(nonce, sealed[-TAG_BYTES:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(sealed[:-TAG_BYTES]) + decryptor.finalize()


def seal(key: DataKey, plaintext: str, label: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    data, aad = plaintext.encode(), label.encode()
    if key.algorithm == SM4_GCM:
        sealed = _sm4_gcm_seal(key.secret, nonce, data, aad)
    else:
        sealed = AESGCM(key.secret).encrypt(nonce, data, aad)
    return f"{key.version}{SEPARATOR}{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def version_of(envelope: str) -> int:
    head, sep, _ = envelope.partition(SEPARATOR)
    if not sep or not head.isdigit():
        raise UndecryptableValue("not an envelope")
    return int(head)


def open_sealed(key: DataKey, envelope: str, label: str) -> str:
    body = envelope.partition(SEPARATOR)[2]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        if key.algorithm == SM4_GCM:
            return _sm4_gcm_open(key.secret, nonce, sealed, label.encode()).decode()
        return AESGCM(key.secret).decrypt(nonce, sealed, label.encode()).decode()
    except Exception as exc:  # InvalidTag, a short or malformed body: all one answer
        raise UndecryptableValue(f"key version {key.version} does not open this value") from exc


def blind_index(key: DataKey, normalised: str) -> str:
    mac = hmac.HMAC(key.secret, hashes.SM3())
    mac.update(normalised.encode())
    return mac.finalize().hex()
