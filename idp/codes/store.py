"""One-time codes by SMS or e-mail (用户解锁, 忘记密码, changing mobile or e-mail, 注销账号).

Six digits, ten minutes, single use, a few attempts. Stored as an HMAC keyed with the server's
key (a plain hash of six digits would fall to a million guesses). Verification is one
conditional UPDATE, so of parallel uses of one code exactly one succeeds.

Every code goes out through :func:`send_code`, which first counts the send against the
destination and the account (the rate limits ``codes_per_destination`` and ``codes_per_account``, by default
``IDP_CODE_SENDS_PER_WINDOW`` per ``IDP_CODE_SEND_WINDOW_SECONDS``, and ``codes_per_destination_hourly``,
10 an hour to one destination whatever the captcha says):
without that cap the portal could be used to flood someone's phone or mailbox, and each code
sent is one more to guess (OWASP ASVS 4.0 V2.2.1, V2.7.x).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.codes.models import OneTimeCode
from idp.limits.rates import Hit, hit_each
from idp.notify.outbox import queue_message
from idp.security.tokens import new_token
from idp.settings import Settings
from shared.messages import text

PURPOSE_TEXT = {
    "unlock": "用户解锁",
    "recovery": "找回密码",
    "change_mobile": "修改手机号",
    "change_email": "修改电子邮箱",
    "close_account": "注销账号",
    "upgrade": "三级实名认证",  # the CTID stand-in's confirmation (idp.verification.ctid)
}


def _code_digest(settings: Settings, code_id: str, code: str) -> str:
    key = hashlib.sha256(b"one-time-code:" + settings.key_encryption_key.get_secret_value().encode()).digest()
    return hmac.new(key, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def destination_scopes(channel: str, destination: str) -> tuple[Hit, Hit]:
    """The destination's limits: a few codes in minutes, and a cap per hour."""
    scope = f"{channel}:{destination}"
    return ("codes_per_destination", scope), ("codes_per_destination_hourly", scope)


async def count_send(db: AsyncSession, settings: Settings, *hits: Hit) -> None:
    """Count one send against each limit (idp.limits.rates), or refuse (``code.too_many_sends``,
    429) and count none. Callers list the destination first and the account next, so parallel
    sends take the counters' row locks in one order and cannot deadlock."""
    await hit_each(db, settings, *hits, message_id="code.too_many_sends")


async def send_code(
    db: AsyncSession, settings: Settings, *, account_id: int, purpose: str,
    channel: str, destination: str, also_count: tuple[Hit, ...] = (),
) -> str:
    """Create a code and queue its message; returns the code's id (kept in the flow, never the
    code), which is also the id of the message in the outbox: the caller sends it once its
    transaction committed (``idp.notify.outbox.deliver_now``), never inside it.

    Refused with ``code.too_many_sends`` (nothing sent, nothing stored) once the destination or
    the account had its share in the window; ``also_count`` names further limits to count (the
    source address, the login name typed)."""
    await count_send(db, settings, *destination_scopes(channel, destination), ("codes_per_account", account_id),
                     *also_count)
    code = f"{secrets.randbelow(10**6):06d}"
    code_id = new_token()
    now = clock.now()
    expires_at = now + dt.timedelta(seconds=settings.one_time_code_ttl_seconds)
    db.add(OneTimeCode(
        id=code_id, purpose=purpose, account_id=account_id, channel=channel, destination=destination,
        code_digest=_code_digest(settings, code_id, code), attempts=0, created_at=now, expires_at=expires_at,
    ))
    minutes = settings.one_time_code_ttl_seconds // 60
    body = text("code.message_body", purpose=PURPOSE_TEXT[purpose], code=code, minutes=minutes)
    queue_message(db, message_id=code_id, channel=channel, recipient=destination, expires_at=expires_at,
                  subject=text("code.message_subject", purpose=PURPOSE_TEXT[purpose]), body=body, kind="code",
                  params={"code": code, "purpose": PURPOSE_TEXT[purpose], "minutes": str(minutes)})
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
