"""The token of 下一页: where the previous page ended, (at, id) of its last row, signed.

Opaque to the auditor and tamper-proof: an HMAC over the position and the search's filters,
keyed from IDP_KEY_ENCRYPTION_KEY, so an edited token, or one carried over to another search, is
refused with a clear message instead of answering something else (or a 500).
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import struct

from idp.errors import DomainError
from idp.settings import Settings

LAYOUT = struct.Struct(">qq")  # microseconds since the epoch, id
TAG_BYTES = 16
LONGEST = 80


def _key(settings: Settings) -> bytes:
    return hashlib.sha256(b"audit-page-token:" + settings.key_encryption_key.get_secret_value().encode()).digest()


def _tag(settings: Settings, fingerprint: bytes, position: bytes) -> bytes:
    return hmac.new(_key(settings), fingerprint + position, hashlib.sha256).digest()[:TAG_BYTES]


def make_token(settings: Settings, fingerprint: bytes, at: dt.datetime, event_id: int) -> str:
    micros = (at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
    position = LAYOUT.pack(micros, event_id)
    return base64.urlsafe_b64encode(position + _tag(settings, fingerprint, position)).decode().rstrip("=")


def read_token(settings: Settings, fingerprint: bytes, token: str) -> tuple[dt.datetime, int]:
    """(at, id) of the last row shown, or DomainError ``audit.page_token_invalid``."""
    raw = b""
    if len(token) <= LONGEST and token.isascii():
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raw = b""
    if len(raw) != LAYOUT.size + TAG_BYTES:
        raise DomainError("audit.page_token_invalid", detail="malformed page token")
    position, tag = raw[:LAYOUT.size], raw[LAYOUT.size:]
    if not hmac.compare_digest(tag, _tag(settings, fingerprint, position)):
        raise DomainError("audit.page_token_invalid", detail="page token of another search, or altered")
    micros, event_id = LAYOUT.unpack(position)
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros), event_id
