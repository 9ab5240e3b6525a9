"""Secrets stored encrypted at rest with ``IDP_KEY_ENCRYPTION_KEY`` (Fernet: AES-128-CBC with an
HMAC-SHA256 tag): the signing keys' private halves and the staff's TOTP secrets. A copy of the
database alone yields neither."""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet

from idp.settings import Settings


def fernet(settings: Settings) -> Fernet:
    """The Fernet key derived from the setting (any length of passphrase gives 32 bytes)."""
    raw = hashlib.sha256(settings.key_encryption_key.get_secret_value().encode()).digest()
    return Fernet(base64.urlsafe_b64encode(raw))


def encrypt_at_rest(settings: Settings, plaintext: bytes) -> str:
    return fernet(settings).encrypt(plaintext).decode()


def decrypt_at_rest(settings: Settings, ciphertext: str) -> bytes:
    return fernet(settings).decrypt(ciphertext.encode())
