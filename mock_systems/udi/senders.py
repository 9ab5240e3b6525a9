"""How the UDI system sends review results: the development sink, or SMTP for e-mail and the SMS
gateway for SMS, signed with the system's own access key and naming its own signature and
template (shared/sms_gateway.py, the request the portal sends too; this system does not import
the portal).

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
from shared.sms_gateway import GatewayAccount, sms_request

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
    sms_gateway_url: str = ""
    sms_sign_name: str = ""  # the signature (签名) registered for this system, e.g. 医疗器械唯一标识
    sms_template_review: str = ""  # the template of a review result (parameter ``content``)
    sms_access_key_id: str = ""
    sms_access_key_secret: SecretStr = SecretStr("")

    def problems(self) -> list[str]:
        if self.message_sink != "smtp":
            return []
        required = {"sms_gateway_url": self.sms_gateway_url, "sms_sign_name": self.sms_sign_name,
                    "sms_template_review": self.sms_template_review, "sms_access_key_id": self.sms_access_key_id,
                    "sms_access_key_secret": self.sms_access_key_secret.get_secret_value()}
        return [f"BIZ_UDI_{name.upper()} is required to send SMS (BIZ_UDI_MESSAGE_SINK=smtp)"
                for name, value in required.items() if not value]

    def gateway_account(self) -> GatewayAccount:
        return GatewayAccount(self.sms_gateway_url, self.sms_sign_name, self.sms_access_key_id,
                              self.sms_access_key_secret.get_secret_value())


class DevSink:
    """The development sender: takes every message; its outbox row, marked sent by it, is the record."""

    name = "dev_sink"

    async def send(self, notification: Notification) -> None:
        # The record is the outbox row and /dev/messages; the log names no address.
        log.info("udi %s message %s: %s", notification.channel, notification.id, notification.subject)


class SmtpAndGatewaySender:
    name = "smtp"

    def __init__(self, settings: UdiSettings, http: httpx.AsyncClient):
        self._settings, self._http = settings, http

    async def send(self, notification: Notification) -> None:
        if notification.channel == "email":
            await asyncio.to_thread(self._send_mail, notification)
        else:
            body, headers = sms_request(self._settings.gateway_account(), notification.recipient,
                                        self._settings.sms_template_review, {"content": notification.body})
            response = await self._http.post(self._settings.sms_gateway_url, timeout=10, content=body,
                                             headers=headers)
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
