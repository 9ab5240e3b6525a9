"""Serving graphic captchas (图形验证码) to the portal's forms.

A page asks :func:`issue_captcha` for a fresh id, puts it in a hidden field and shows
``<img src="/captcha/<id>.png">``; the answer never leaves the server. The POST checks it with
:func:`idp.captcha.providers.check_captcha`, which consumes it, right or wrong.
"""
from __future__ import annotations

import functools
import re

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from idp import clock
from idp.captcha.models import Captcha
from idp.captcha.providers import CaptchaProvider, check_captcha, make_provider
from idp.portal import Portal

router = APIRouter()
CAPTCHA_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what new_token() makes
IMAGE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache", "X-Content-Type-Options": "nosniff"}


@functools.cache
def provider(name: str) -> CaptchaProvider:
    """One provider per process: the image one loads its fonts once."""
    return make_provider(name)


async def issue_captcha(portal: Portal, db: AsyncSession) -> str:
    """A fresh captcha for a page that is about to be rendered; the caller commits ``db``."""
    return await provider(portal.settings.captcha_provider).issue(db)


async def consume_captcha(db: AsyncSession, captcha_id: str, answer: str) -> str | None:
    """Check and consume the captcha a form posted: None when right, else a message id.

    A malformed id (a NUL breaks a PostgreSQL query) is simply an expired captcha."""
    if not CAPTCHA_ID.fullmatch(captcha_id or ""):
        return "captcha.expired"
    return await check_captcha(db, captcha_id, answer)


@router.get("/captcha/{captcha_id}.png")
async def captcha_image(request: Request, captcha_id: str) -> Response:
    portal: Portal = request.app.state.portal
    answer = None
    if CAPTCHA_ID.fullmatch(captcha_id):
        async with portal.reader() as db:
            answer = await db.scalar(
                select(Captcha.answer).where(Captcha.id == captcha_id, Captcha.expires_at > clock.now())
            )
    if answer is None:
        return Response(status_code=404, headers=IMAGE_HEADERS)
    png = await provider(portal.settings.captcha_provider).render(answer)
    return Response(png, media_type="image/png", headers=IMAGE_HEADERS)
