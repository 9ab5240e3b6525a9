"""/dev/messages: what the development sink kept instead of sending (codes for 用户解锁,
忘记密码, changing mobile or e-mail, the CTID stand-in). Mounted only outside production mode
(see :func:`idp.app.create_app`), and production mode refuses the development sink anyway."""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from idp.notify.models import OutboundMessage
from idp.portal import Portal
from idp.web.pages import render

router = APIRouter()
SHOWN = 200
CHANNEL_LABELS = {"sms": "短信", "email": "邮件", "ctid": "CTID"}


@router.get("/dev/messages")
async def messages(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    async with portal.reader() as db:
        rows = (await db.scalars(
            select(OutboundMessage).order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc()).limit(SHOWN)
        )).all()
    return render("dev/messages.html", messages=rows, channel_labels=CHANNEL_LABELS)
