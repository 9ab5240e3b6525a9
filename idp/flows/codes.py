"""One-time codes by SMS or e-mail (用户解锁, 忘记密码, changing mobile or e-mail).

Six digits, ten minutes, single use, a few attempts. Stored as an HMAC keyed with the server's
key (a plain hash of six digits would fall to a million guesses). Verification is one
conditional UPDATE, so of parallel uses of one code exactly one succeeds.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.flows.models import OneTimeCode
from idp.notify.senders import MessageSender
from idp.security.tokens import new_token
from idp.settings import Settings

PURPOSE_TEXT = {
    "unlock": "用户解锁",
    "recovery": "找回密码",
    "change_mobile": "修改手机号",
    "change_email": "修改电子邮箱",
    "upgrade": "三级实名认证",  # the CTID stand-in's confirmation (idp.verification.ctid)
}


def _code_digest(settings: Settings, code_id: str, code: str) -> str:
    key = hashlib.sha256(b"one-time-code:" + settings.key_encryption_key.get_secret_value().encode()).digest()
    return hmac.new(key, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


async def send_code(
    db: AsyncSession, settings: Settings, sender: MessageSender, *, account_id: int, purpose: str,
    channel: str, destination: str,
) -> str:
    """Create and send a code; returns the code's id (kept in the flow, never the code)."""
    code = f"{secrets.randbelow(10**6):06d}"
    code_id = new_token()
    now = clock.now()
    db.add(OneTimeCode(
        id=code_id, purpose=purpose, account_id=account_id, channel=channel, destination=destination,
        code_digest=_code_digest(settings, code_id, code), attempts=0, created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.one_time_code_ttl_seconds),
    ))
    minutes = settings.one_time_code_ttl_seconds // 60
    body = f"【政务服务门户】您的{PURPOSE_TEXT[purpose]}验证码为{code}，{minutes}分钟内有效，请勿告诉他人。"
    await sender.send(db, channel, destination, f"政务服务门户{PURPOSE_TEXT[purpose]}验证码", body)
    return code_id


async def use_code(
    db: AsyncSession, settings: Settings, *, code_id: str, account_id: int, purpose: str, submitted: str
) -> bool:
    """Consume the code if it matches; otherwise count the attempt. True only once."""
    now = clock.now()
    live = (
        OneTimeCode.id == code_id,
        OneTimeCode.account_id == account_id,
        OneTimeCode.purpose == purpose,
        OneTimeCode.consumed_at.is_(None),
        OneTimeCode.expires_at > now,
        OneTimeCode.attempts < settings.one_time_code_max_attempts,
    )
    result = await db.execute(
        update(OneTimeCode)
        .where(*live, OneTimeCode.code_digest == _code_digest(settings, code_id, (submitted or "").strip()))
        .values(consumed_at=now)
        .returning(OneTimeCode.id)
    )
    if result.first() is not None:
        return True
    await db.execute(update(OneTimeCode).where(*live).values(attempts=OneTimeCode.attempts + 1))
    return False
