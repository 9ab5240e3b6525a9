"""Secrets stored encrypted at rest with the key-encryption key (Fernet: AES-128-CBC with an
HMAC-SHA256 tag): the signing keys' private halves and the staff's TOTP secrets. A copy of the
database alone yields neither.

The key can change without downtime (docs/operations.md, "Key-encryption key rotation"):
``IDP_KEY_ENCRYPTION_KEY`` encrypts, it and each of ``IDP_PREVIOUS_KEY_ENCRYPTION_KEYS`` decrypt
(cryptography's MultiFernet), and ``idp keys rewrap`` re-encrypts every stored secret with the
current key, after which the previous keys can go.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from idp.settings import Settings


def _fernet(passphrase: str) -> Fernet:
    """The Fernet key derived from one passphrase (any length gives 32 bytes)."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(passphrase.encode()).digest()))


def fernet(settings: Settings) -> MultiFernet:
    """The current key first (it encrypts), then the previous ones (they only decrypt)."""
    return MultiFernet([_fernet(key) for key in settings.key_encryption_keys])


def encrypt_at_rest(settings: Settings, plaintext: bytes) -> str:
    return fernet(settings).encrypt(plaintext).decode()


def decrypt_at_rest(settings: Settings, ciphertext: str) -> bytes:
    return fernet(settings).decrypt(ciphertext.encode())


def rewrapped(settings: Settings, ciphertext: str) -> str | None:
    """``ciphertext`` encrypted anew with the current key, or None when it already is.
    Raises InvalidToken when no configured key decrypts it."""
    try:
        _fernet(settings.key_encryption_key.get_secret_value()).decrypt(ciphertext.encode())
        return None
    except InvalidToken:
        return fernet(settings).rotate(ciphertext.encode()).decode()
