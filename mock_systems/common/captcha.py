"""The image of a graphic captcha (图形验证码) a page issued (captcha_store.py), drawn with the
`captcha` library as the portal's are."""
from __future__ import annotations

import functools

import anyio.to_thread
from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from mock_systems.common.captcha_store import CAPTCHA_ID
from mock_systems.common.db import utcnow
from mock_systems.common.models import Captcha

router = APIRouter()
IMAGE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@functools.cache
def _images():
    from captcha.image import ImageCaptcha

    return ImageCaptcha(width=140, height=48, font_sizes=(36, 40, 44))


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
