"""SMS and e-mail behind one interface.

``development`` stores every message in ``outbound_messages`` and shows them on /dev/messages
(absent in production mode). ``smtp`` sends e-mail over SMTP and SMS through an HTTP gateway
that takes a signature, a template code and its parameters (idp.notify.gateway).

``kind`` names the SMS template (``code``: parameters code, purpose, minutes; ``notice``: the
text as parameter ``content``); e-mail and the development sink send ``subject`` and ``body``.
"""
from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.notify.gateway import portal_sms_request
from idp.notify.models import OutboundMessage
from idp.settings import Settings


class MessageSender:
    async def send(self, db: AsyncSession, channel: str, recipient: str, subject: str, body: str, *,
                   kind: str = "notice", params: dict[str, str] | None = None) -> None:
        raise NotImplementedError


class DevelopmentSink(MessageSender):
    async def send(self, db, channel, recipient, subject, body, *, kind="notice", params=None) -> None:
        db.add(OutboundMessage(channel=channel, recipient=recipient, subject=subject, body=body,
                               created_at=clock.now()))


class SmtpAndGatewaySender(MessageSender):
    def __init__(self, settings: Settings, http: httpx.AsyncClient):
        self._settings = settings
        self._http = http

    async def send(self, db, channel, recipient, subject, body, *, kind="notice", params=None) -> None:
        if channel == "email":
            await asyncio.to_thread(self._send_mail, recipient, subject, body)
        elif channel == "sms":
            content, headers = portal_sms_request(self._settings, recipient, kind, params or {"content": body})
            response = await self._http.post(self._settings.sms_gateway_url, content=content, headers=headers,
                                             timeout=10)
            response.raise_for_status()
        else:
            raise ValueError(f"unsupported channel {channel}")

    def _send_mail(self, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self._settings.smtp_sender
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(self._settings.smtp_host, self._settings.smtp_port, timeout=10) as smtp:
            if self._settings.smtp_starttls:
                smtp.starttls()
            if self._settings.smtp_username:
                smtp.login(self._settings.smtp_username, self._settings.smtp_password.get_secret_value())
            smtp.send_message(message)


def make_sender(settings: Settings, http: httpx.AsyncClient) -> MessageSender:
    return DevelopmentSink() if settings.message_sink == "development" else SmtpAndGatewaySender(settings, http)
