"""/dev/ctid: what the CTID app would show, for the development stand-in (idp.verification.ctid).

Mounted only outside production mode (idp.app), like the development message sink it reads.
"""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from idp import clock
from idp.notify.models import OutboundMessage
from idp.portal import Portal
from idp.verification.ctid import CHANNEL
from idp.web.pages import render

router = APIRouter()


@router.get("/dev/ctid")
async def ctid_app(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    since = clock.now() - dt.timedelta(seconds=portal.settings.one_time_code_ttl_seconds)
    async with portal.reader() as db:
        rows = (await db.scalars(
            select(OutboundMessage).where(OutboundMessage.channel == CHANNEL, OutboundMessage.created_at > since)
            .order_by(OutboundMessage.id.desc()).limit(50)
        )).all()
    return render("verification/ctid_app.html", confirmations=rows)
