"""TOTP (RFC 6238) as the staff's second factor: 6 digits, 30-second steps, one step of clock
drift either way. A code is good once: its step must be newer than the last accepted one, and
that is settled by one conditional UPDATE, so the same code posted twice at once signs in once.
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
from idp.staff.models import StaffAccount

ISSUER_NAME = "政务服务门户工作人员"  # what the authenticator app shows above the account
DRIFT_STEPS = 1
CODE = re.compile(r"\d{6}")


def new_secret() -> str:
    """160 random bits, base32 (RFC 4226 §4 recommends at least 160)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI the enrolment QR code carries."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER_NAME)


def seal(settings: Settings, secret: str) -> str:
    return encrypt_at_rest(settings, secret.encode())


def unseal(settings: Settings, sealed: str) -> str:
    """The secret; refused (not a server error) when IDP_KEY_ENCRYPTION_KEY has changed since it
    was stored: an administrator resets the member's TOTP, and it enrols again."""
    try:
        return decrypt_at_rest(settings, sealed).decode()
    except InvalidToken:
        raise DomainError("staff.totp_unreadable", detail="TOTP secret sealed with another key") from None


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


async def claim_step(db: AsyncSession, staff_id: int, sealed: str, step: int, **values) -> bool:
    """Record ``step`` as the newest accepted one, only if it is newer than the last and the
    secret is still ``sealed``, the one the code was checked against (not reset meanwhile): False
    for a replay (the same code again, or an older one), including the loser of two racing uses.
    ``values`` are set in the same UPDATE (enrolment's time)."""
    result = await db.execute(
        update(StaffAccount)
        .where(StaffAccount.id == staff_id, StaffAccount.totp_secret_encrypted == sealed,
               or_(StaffAccount.totp_last_step.is_(None), StaffAccount.totp_last_step < step))
        .values(totp_last_step=step, **values)
        .returning(StaffAccount.id)
    )
    return result.first() is not None
