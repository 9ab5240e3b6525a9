"""The UDI system's senders (mock_systems/udi/senders.py): e-mail over SMTP, SMS through the
gateway signed with the system's key and naming its signature and template, the choice by
BIZ_UDI_MESSAGE_SINK, and start-up refusing SMTP without the SMS gateway's settings."""
from __future__ import annotations

import json

import httpx
import pytest

from mock_systems.udi import senders
from mock_systems.udi.models import Notification
from mock_systems.udi.senders import DevSink, SmtpAndGatewaySender, UdiSettings, check_settings, make_sender
from shared.sms_gateway import signature

GATEWAY = {"sms_gateway_url": "https://sms.example.test/send", "sms_sign_name": "医疗器械唯一标识",
           "sms_template_review": "SMS_200001", "sms_access_key_id": "udi-key", "sms_access_key_secret": "udi-secret"}


def notification(channel: str, recipient: str) -> Notification:
    return Notification(id=1, registration_id=1, submission=1, channel=channel, recipient=recipient,
                        subject="审核结果：审核通过", body="示例医疗器械有限公司：已审核通过。")


class FakeSmtp:
    sent: list = []

    def __init__(self, host, port, timeout):
        self.address = (host, port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        self.tls = True

    def login(self, username, password):
        self.credentials = (username, password)

    def send_message(self, message):
        FakeSmtp.sent.append((self.address, getattr(self, "tls", False), getattr(self, "credentials", None), message))


async def test_email_goes_over_smtp_and_sms_through_the_gateway(monkeypatch):
    FakeSmtp.sent = []
    monkeypatch.setattr(senders.smtplib, "SMTP", FakeSmtp)
    gateway = []

    def answer(request: httpx.Request) -> httpx.Response:
        headers = request.headers
        expected = signature("udi-secret", request.url.path, headers["X-Sms-Timestamp"], headers["X-Sms-Nonce"],
                             request.content)
        if headers["X-Sms-Access-Key-Id"] != "udi-key" or headers["X-Sms-Signature"] != expected:
            return httpx.Response(403)
        gateway.append((str(request.url), json.loads(request.content)))
        return httpx.Response(200)

    settings = UdiSettings(message_sink="smtp", smtp_host="mail.example.test", smtp_username="udi",
                           smtp_password="secret", **GATEWAY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        sender = make_sender(settings, http)
        assert isinstance(sender, SmtpAndGatewaySender)
        await sender.send(notification("email", "li@example.com"))
        await sender.send(notification("sms", "13800000000"))
    ((address, tls, credentials, message),) = FakeSmtp.sent
    assert address == ("mail.example.test", 587) and tls and credentials == ("udi", "secret")
    assert (message["To"], message["Subject"]) == ("li@example.com", "审核结果：审核通过")
    assert "已审核通过" in message.get_content()
    [(url, request)] = gateway
    assert url == "https://sms.example.test/send" and request["PhoneNumbers"] == "13800000000"
    assert (request["SignName"], request["TemplateCode"]) == ("医疗器械唯一标识", "SMS_200001")
    assert json.loads(request["TemplateParam"]) == {"content": "示例医疗器械有限公司：已审核通过。"}


async def test_a_gateway_refusal_is_a_failed_send():
    settings = UdiSettings(message_sink="smtp", **GATEWAY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(503))) as http:
        with pytest.raises(httpx.HTTPStatusError):
            await make_sender(settings, http).send(notification("sms", "13800000000"))


async def test_the_default_is_the_dev_sink_and_smtp_needs_a_gateway(monkeypatch):
    monkeypatch.delenv("BIZ_UDI_MESSAGE_SINK", raising=False)
    assert isinstance(make_sender(UdiSettings(), None), DevSink)
    await check_settings(None, None)
    monkeypatch.setenv("BIZ_UDI_MESSAGE_SINK", "smtp")
    with pytest.raises(RuntimeError, match="BIZ_UDI_SMS_GATEWAY_URL") as refused:
        await check_settings(None, None)
    assert "BIZ_UDI_SMS_ACCESS_KEY_SECRET" in str(refused.value) and "BIZ_UDI_SMS_TEMPLATE_REVIEW" in str(refused.value)
