"""/dev/messages: what the development sender (notifications.DevSink) took — the SMS and e-mails
the contacts would have received — newest first. Development only: BIZ_UDI_DEV_MESSAGES_PAGE
(default true for `make run`) must be false wherever real contacts' details are held."""
from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from starlette.responses import Response

from mock_systems.common.context import SystemContext
from mock_systems.common.pages import message_page
from mock_systems.udi.models import Notification
from mock_systems.udi.pages import render

router = APIRouter()
SHOWN = 100


class UdiSettings(BaseSettings):
    """The UDI system's own settings, beside the common ones (same prefix, BIZ_UDI_)."""

    model_config = SettingsConfigDict(env_prefix="BIZ_UDI_", env_file=None, extra="ignore")

    dev_messages_page: bool = True


@router.get("/dev/messages")
async def messages_page(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    if not UdiSettings().dev_messages_page:
        return message_page(system, "Not Found", 404)
    async with system.sessionmaker() as db:
        sent = list((await db.scalars(select(Notification).where(Notification.delivered_at.is_not(None))
                                      .order_by(Notification.delivered_at.desc(), Notification.id.desc())
                                      .limit(SHOWN))).all())
    return render(system, "dev_messages.html", messages=sent)
