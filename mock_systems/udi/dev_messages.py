"""/dev/messages: what the development sender (senders.DevSink) took — the SMS and e-mails the
contacts would have received — newest first. Development only: absent when the system sends for
real (BIZ_UDI_MESSAGE_SINK=smtp)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from mock_systems.common.context import SystemContext
from mock_systems.common.pages import message_page
from mock_systems.udi.models import Notification
from mock_systems.udi.pages import render
from mock_systems.udi.senders import UdiSettings
from shared.messages import text

router = APIRouter()
SHOWN = 100


@router.get("/dev/messages")
async def messages_page(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    if UdiSettings().message_sink != "dev_sink":  # real contacts' messages are never shown
        return message_page(system, text("page.not_found"), 404)
    async with system.sessionmaker() as db:
        sent = list((await db.scalars(select(Notification).where(Notification.delivered_at.is_not(None))
                                      .order_by(Notification.delivered_at.desc(), Notification.id.desc())
                                      .limit(SHOWN))).all())
    return render(system, "dev_messages.html", messages=sent)
