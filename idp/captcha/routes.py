"""Serving graphic captchas (图形验证码): the image of a captcha a page issued
(idp.captcha.store). The answer never leaves the server."""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from idp import clock
from idp.captcha.models import Captcha
from idp.captcha.store import CAPTCHA_ID, provider
from idp.portal import Portal

router = APIRouter()
IMAGE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache", "X-Content-Type-Options": "nosniff"}


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
