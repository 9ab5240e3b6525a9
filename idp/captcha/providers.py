"""Graphic captcha (图形验证码) providers behind one interface.

``image`` draws a PNG on the server (the `captcha` library); ``test`` has the fixed, documented
answer :data:`TEST_ANSWER`, for automated tests and integrators' test environments, and is
refused in production mode. Both keep the answer server-side and accept it once: the row is
deleted on the first attempt, right or wrong.
"""
from __future__ import annotations

import datetime as dt
import secrets
from typing import cast

import anyio.to_thread
from sqlalchemy import Table, bindparam, delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.captcha.models import Captcha
from idp.security.tokens import constant_time_equal, new_token

TEST_ANSWER = "TEST"
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
TTL = dt.timedelta(minutes=5)
INSERT_CAPTCHA = insert(cast(Table, Captcha.__table__))  # built once: every login page runs it


class CaptchaProvider:
    def answer(self) -> str:
        raise NotImplementedError

    async def render(self, answer: str) -> bytes:
        raise NotImplementedError

    async def issue(self, db: AsyncSession) -> str:
        """Store a new captcha in ``db``'s transaction (a Core INSERT, executed at once: no ORM
        object to flush at commit) and return its id."""
        now = clock.now()
        captcha_id = new_token()
        connection = await db.connection()
        await connection.execute(INSERT_CAPTCHA, {"id": captcha_id, "answer": self.answer(), "created_at": now,
                                                  "expires_at": now + TTL})
        return captcha_id


class ImageCaptchaProvider(CaptchaProvider):
    def __init__(self):
        from captcha.image import ImageCaptcha

        self._images = ImageCaptcha(width=140, height=48, font_sizes=(36, 40, 44))

    def answer(self) -> str:
        return "".join(secrets.choice(ALPHABET) for _ in range(4))

    async def render(self, answer: str) -> bytes:
        return await anyio.to_thread.run_sync(lambda: self._images.generate(answer, format="png").getvalue())


class TestCaptchaProvider(ImageCaptchaProvider):
    """Same images and single use; the answer is always TEST_ANSWER."""

    def answer(self) -> str:
        return TEST_ANSWER


def make_provider(name: str) -> CaptchaProvider:
    return {"image": ImageCaptchaProvider, "test": TestCaptchaProvider}[name]()


CONSUME_CAPTCHA = (delete(Captcha).where(Captcha.id == bindparam("captcha_id"))
                   .returning(Captcha.answer, Captcha.expires_at))  # built once: every login attempt runs it


async def check_captcha(db: AsyncSession, captcha_id: str, submitted: str) -> str | None:
    """Consume the captcha; returns None when right, else a message id."""
    connection = await db.connection()  # a Core DELETE: nothing of the ORM's to synchronise
    row = (await connection.execute(CONSUME_CAPTCHA, {"captcha_id": captcha_id})).first()
    if row is None or row.expires_at <= clock.now():
        return "captcha.expired"
    if not constant_time_equal(row.answer.upper(), (submitted or "").strip().upper()):
        return "captcha.wrong"
    return None
