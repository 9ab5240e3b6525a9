"""TOTP (RFC 6238) as a second factor, for whoever holds a secret: the staff console's members
(idp.staff.totp) and portal accounts where the deployment requires it (idp.accounts.totp).

6 digits, 30-second steps, one step of clock drift either way. A code is good once: its step
must be newer than the last accepted one, and that is settled by one conditional UPDATE
(:func:`claim_step`), so the same code posted twice at once passes once.
"""
from __future__ import annotations

import datetime as dt
import re

import pyotp
from cryptography.fernet import InvalidToken
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from idp.errors import DomainError
from idp.security.encryption import decrypt_at_rest, encrypt_at_rest
from idp.security.tokens import constant_time_equal
from idp.settings import Settings

DRIFT_STEPS = 1
CODE = re.compile(r"\d{6}")


def new_secret() -> str:
    """160 random bits, base32 (RFC 4226 §4 recommends at least 160)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str, issuer_name: str) -> str:
    """The otpauth:// URI the enrolment QR code carries; ``issuer_name`` is what the
    authenticator app shows above the account."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer_name)


def seal(settings: Settings, secret: str) -> str:
    return encrypt_at_rest(settings, secret.encode())


def unseal(settings: Settings, sealed: str, message_id: str) -> str:
    """The secret; refused with ``message_id`` (not a server error) when IDP_KEY_ENCRYPTION_KEY
    has changed since it was stored: the holder's TOTP is reset, and it enrols again."""
    try:
        return decrypt_at_rest(settings, sealed).decode()
    except InvalidToken:
        raise DomainError(message_id, detail="TOTP secret sealed with another key") from None


def matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step ``code`` belongs to (within the drift), or None. Every candidate is
    compared, in constant time, so the timing does not tell which step was near."""
    code = code.strip()
    if not CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if constant_time_equal(totp.generate_otp(step), code):
            found = step
    return found


async def claim_step(db: AsyncSession, model, key, sealed: str, step: int, **values) -> bool:
    """Record ``step`` as the newest accepted one of the row ``key`` of ``model`` (a table with
    ``totp_secret_encrypted`` and ``totp_last_step``; ``key`` a condition on it), only if it is
    newer than the last and the secret is still ``sealed``, the one the code was checked against
    (not reset meanwhile): False for a replay (the same code again, or an older one), including
    the loser of two racing uses. ``values`` are set in the same UPDATE (enrolment's time)."""
    result = await db.execute(
        update(model)
        .where(key, model.totp_secret_encrypted == sealed,
               or_(model.totp_last_step.is_(None), model.totp_last_step < step))
        .values(totp_last_step=step, **values)
        .returning(key.left)
    )
    return result.first() is not None
