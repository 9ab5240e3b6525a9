"""Graphic captchas (图形验证码) for the local login page, drawn with the `captcha` library as
the portal's are. The answer stays on the server and is consumed by the first attempt, right or
wrong. With ``captcha_provider=test`` every answer is ``captcha_test_answer`` (for tests)."""
from __future__ import annotations

import datetime as dt
import functools
import re
import secrets

import anyio.to_thread
from fastapi import APIRouter, Request
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from mock_systems.common.db import utcnow
from mock_systems.common.models import Captcha
from mock_systems.common.security import constant_time_equal, new_token
from mock_systems.common.settings import SystemSettings

router = APIRouter()
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
TTL = dt.timedelta(minutes=5)
CAPTCHA_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
IMAGE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@functools.cache
def _images():
    from captcha.image import ImageCaptcha

    return ImageCaptcha(width=140, height=48, font_sizes=(36, 40, 44))


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


@router.get("/local/captcha/{captcha_id}.png")
async def captcha_image(request: Request, captcha_id: str) -> Response:
    system = request.app.state.system
    answer = None
    if CAPTCHA_ID.fullmatch(captcha_id):
        async with system.sessionmaker() as db:
            answer = await db.scalar(select(Captcha.answer).where(Captcha.id == captcha_id,
                                                                  Captcha.expires_at > utcnow()))
    if answer is None:
        return Response(status_code=404, headers=IMAGE_HEADERS)
    png = await anyio.to_thread.run_sync(lambda: _images().generate(answer, format="png").getvalue())
    return Response(png, media_type="image/png", headers=IMAGE_HEADERS)
