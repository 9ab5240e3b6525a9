"""How the UDI system sends review results: the development sink, or SMTP for e-mail and an HTTP
gateway for SMS (as the portal's senders, which this system cannot import: it talks to the
portal over HTTP only).

``BIZ_UDI_MESSAGE_SINK`` chooses: ``dev_sink`` (the default for `make run`) keeps each message in
its outbox row and shows them on /dev/messages; ``smtp`` sends for real and has no such page.
"""
from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage
from typing import Literal

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from mock_systems.udi.models import Notification

log = logging.getLogger(__name__)


class UdiSettings(BaseSettings):
    """The UDI system's own settings, beside the common ones (same prefix, BIZ_UDI_)."""

    model_config = SettingsConfigDict(env_prefix="BIZ_UDI_", env_file=None, extra="ignore")

    message_sink: Literal["dev_sink", "smtp"] = "dev_sink"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_sender: str = "noreply@udi.example.gov.cn"
    sms_gateway_url: str = ""  # POST {"mobile", "text"}: a plain relay (the portal signs templates)

    def problems(self) -> list[str]:
        if self.message_sink == "smtp" and not self.sms_gateway_url:
            return ["BIZ_UDI_SMS_GATEWAY_URL is required to send SMS (BIZ_UDI_MESSAGE_SINK=smtp)"]
        return []


class DevSink:
    """The development sender: takes every message; its outbox row, marked sent by it, is the record."""

    name = "dev_sink"

    async def send(self, notification: Notification) -> None:
        log.info("udi %s to %s: %s", notification.channel, notification.recipient, notification.subject)


class SmtpAndGatewaySender:
    name = "smtp"

    def __init__(self, settings: UdiSettings, http: httpx.AsyncClient):
        self._settings, self._http = settings, http

    async def send(self, notification: Notification) -> None:
        if notification.channel == "email":
            await asyncio.to_thread(self._send_mail, notification)
        else:
            response = await self._http.post(self._settings.sms_gateway_url, timeout=10, json={
                "mobile": notification.recipient, "text": notification.body})
            response.raise_for_status()

    def _send_mail(self, notification: Notification) -> None:
        message = EmailMessage()
        message["From"] = self._settings.smtp_sender
        message["To"] = notification.recipient
        message["Subject"] = notification.subject
        message.set_content(notification.body)
        with smtplib.SMTP(self._settings.smtp_host, self._settings.smtp_port, timeout=10) as smtp:
            if self._settings.smtp_starttls:
                smtp.starttls()
            if self._settings.smtp_username:
                smtp.login(self._settings.smtp_username, self._settings.smtp_password.get_secret_value())
            smtp.send_message(message)


def make_sender(settings: UdiSettings, http: httpx.AsyncClient) -> DevSink | SmtpAndGatewaySender:
    return DevSink() if settings.message_sink == "dev_sink" else SmtpAndGatewaySender(settings, http)


async def check_settings(app, system) -> None:
    """At start-up: refuse a sender that could not deliver everything it will be given."""
    problems = UdiSettings().problems()
    if problems:
        raise RuntimeError("; ".join(problems))
