"""Graphic captchas (图形验证码) for the system's own login pages: issued for a page, consumed by
the first attempt, right or wrong; the answer stays on the server (the image: captcha.py). With
``captcha_provider=test`` every answer is ``captcha_test_answer`` (for tests)."""
from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.db import utcnow
from mock_systems.common.models import Captcha
from mock_systems.common.security import constant_time_equal, new_token
from mock_systems.common.settings import SystemSettings

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
TTL = dt.timedelta(minutes=5)
CAPTCHA_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _answer(settings: SystemSettings) -> str:
    if settings.captcha_provider == "test":
        return settings.captcha_test_answer
    return "".join(secrets.choice(ALPHABET) for _ in range(4))


async def issue_captcha(db: AsyncSession, settings: SystemSettings) -> str:
    """A fresh captcha for a page about to be rendered; the caller commits ``db``."""
    row = Captcha(id=new_token(), answer=_answer(settings), expires_at=utcnow() + TTL)
    db.add(row)
    return row.id


async def consume_captcha(db: AsyncSession, captcha_id: str, submitted: str) -> str | None:
    """None when right, else the message id (shared.messages) of the refusal."""
    if not CAPTCHA_ID.fullmatch(captcha_id or ""):
        return "captcha.expired"
    result = await db.execute(delete(Captcha).where(Captcha.id == captcha_id)
                              .returning(Captcha.answer, Captcha.expires_at))
    row = result.first()
    if row is None or row.expires_at <= utcnow():
        return "captcha.expired"
    if not constant_time_equal(row.answer.upper(), (submitted or "").strip().upper()):
        return "captcha.wrong"
    return None
