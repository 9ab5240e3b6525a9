"""SMS and e-mail go through the message outbox: written with the code, sent after the commit
(a slow or failing gateway holds no transaction), retried by the background loop, never sent
twice by two instances, and the text carrying the code cleared once sent."""
import asyncio
import base64
import hashlib
import hmac
import json

import httpx
import pytest
from sqlalchemy import select

from idp import clock
from idp.codes.models import OneTimeCode
from idp.notify import outbox as message_outbox
from idp.notify.models import OutboundMessage, QueuedMessage
from idp.notify.senders import SmtpAndGatewaySender
from shared.sms_gateway import signature
from tests.support.authz import Clock
from tests.support.portal import test_settings as settings_for
from tests.support.selfservice import request_code

MOBILE = "13800138000"


@pytest.fixture
def later(monkeypatch):
    return Clock(monkeypatch)


class FakeGateway:
    """Stands in for the SMTP server and the SMS gateway: records what it sent, or fails."""

    def __init__(self, put):
        self.put = put
        self.sent: list[tuple[str, str, dict | None]] = []
        self.failing = False
        self.delay = 0.0
        self.committed_when_called: list[bool] = []
        self.write_while_sending = False
        self.wrote_while_sending: list[bool] = []

    async def send(self, db, channel, recipient, subject, body, *, kind="notice", params=None):
        # Read through a connection of its own: only what was committed is visible.
        async with self.put.portal.reader() as reader:
            self.committed_when_called.append(bool((await reader.scalars(select(OneTimeCode))).all()))
        if self.write_while_sending:
            async def write() -> None:
                async with self.put.portal.sessionmaker.begin() as writer:
                    writer.add(OutboundMessage(channel="probe", recipient="-", subject="-", body="-",
                                               created_at=clock.now()))
            await asyncio.wait_for(write(), timeout=2)
            self.wrote_while_sending.append(True)
        await asyncio.sleep(self.delay)
        if self.failing:
            raise httpx.ConnectTimeout("gateway timed out")
        self.sent.append((recipient, body, params))


@pytest.fixture
def gateway(put, monkeypatch):
    fake = FakeGateway(put)
    monkeypatch.setattr(message_outbox, "make_sender", lambda settings, http: fake)
    return fake


async def _rows(put) -> list[QueuedMessage]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(QueuedMessage))).all())


async def test_the_code_is_committed_before_the_gateway_is_called_and_sent_at_once(put, browser, gateway):
    page = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    assert page.status_code == 200 and "验证码已发送" in page.text
    assert gateway.committed_when_called == [True]
    [(recipient, body, params)] = gateway.sent
    assert recipient == MOBILE and params["code"] in body and params["purpose"] == "用户解锁"
    [row] = await _rows(put)
    assert row.delivered_at is not None and row.attempts == 1
    assert (row.body, row.subject, row.params) == (None, None, None)  # the code's text is not kept


async def test_a_failing_gateway_leaves_a_retryable_row_that_the_background_loop_delivers(
        put, browser, gateway, later):
    gateway.failing = True
    page = await request_code(browser, "/recovery?way=code", username="zhangsan", channel="sms",
                              destination=MOBILE)
    assert page.status_code == 200 and "验证码已发送" in page.text  # the flow went on; the send is retried
    [row] = await _rows(put)
    assert row.delivered_at is None and row.attempts == 1 and row.last_error == "ConnectTimeout"
    assert row.body is not None and row.next_attempt_at > row.created_at
    assert await message_outbox.deliver_due(put.portal) == 0  # not due yet

    gateway.failing = False
    later.advance(put.settings.message_retry_seconds)
    assert await message_outbox.deliver_due(put.portal) == 1
    [(recipient, _, params)] = gateway.sent
    [row] = await _rows(put)
    assert recipient == MOBILE and row.delivered_at is not None and row.attempts == 2 and row.body is None
    assert await message_outbox.deliver_due(put.portal) == 0  # sent once


async def test_a_slow_gateway_does_not_hold_the_database(put, browser, gateway):
    """While the gateway is slow to answer, the database takes other writes at once (SQLite has
    one writer: a send inside the transaction would hold it for the gateway's timeout)."""
    gateway.write_while_sending = True
    gateway.delay = 0.5
    page = await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    assert page.status_code == 200 and gateway.wrote_while_sending == [True]


async def test_a_message_is_given_up_once_its_code_expired(put, browser, gateway, later):
    gateway.failing = True
    await request_code(browser, "/unlock", username="zhangsan", channel="sms", destination=MOBILE)
    gateway.failing = False
    later.advance(put.settings.one_time_code_ttl_seconds + 1)
    assert await message_outbox.deliver_due(put.portal) == 0
    assert gateway.sent == []
    [row] = await _rows(put)
    assert row.delivered_at is not None and row.last_error == "expired" and row.body is None


async def test_two_instances_never_send_one_message_twice(put, browser, gateway, later):
    gateway.failing = True
    for username, mobile in (("zhangsan", MOBILE),):
        await request_code(browser, "/unlock", username=username, channel="sms", destination=mobile)
    for n in range(4):
        account = await put.add_account(f"user{n}", mobile=f"1390013900{n}")
        assert account is not None
        await request_code(browser, "/unlock", username=f"user{n}", channel="sms", destination=f"1390013900{n}")
    gateway.failing, gateway.delay = False, 0.2
    later.advance(put.settings.message_retry_seconds)
    delivered = await asyncio.gather(*(message_outbox.deliver_due(put.portal) for _ in range(3)))
    assert sum(delivered) == 5
    assert sorted(recipient for recipient, _, _ in gateway.sent) == sorted(
        [MOBILE] + [f"1390013900{n}" for n in range(4)])


class SigningGateway:
    """A fake Chinese SMS service: checks the access key, the signature and the template."""

    def __init__(self, secret: str):
        self.secret = secret
        self.received: list[dict] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        headers = request.headers
        expected = signature(self.secret, request.url.path, headers["X-Sms-Timestamp"], headers["X-Sms-Nonce"],
                             request.content)
        if headers["X-Sms-Access-Key-Id"] != "portal-key" or not hmac.compare_digest(
                headers["X-Sms-Signature"], expected):
            return httpx.Response(403, json={"Code": "SignatureDoesNotMatch"})
        self.received.append(json.loads(request.content))
        return httpx.Response(200, json={"Code": "OK"})


def _gateway_settings(database_url, secret):
    return settings_for(database_url, message_sink="smtp", sms_gateway_url="https://sms.example.test/v1/send",
                         sms_sign_name="政务服务门户", sms_template_code="SMS_100001",
                         sms_template_notice="SMS_100002", sms_access_key_id="portal-key",
                         sms_access_key_secret=secret)


async def test_the_sms_gateway_gets_the_signature_the_template_and_its_parameters_signed(database_url):
    fake = SigningGateway("gateway-secret")
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake.handler)) as http:
        sender = SmtpAndGatewaySender(_gateway_settings(database_url, "gateway-secret"), http)
        await sender.send(None, "sms", MOBILE, "用户解锁验证码", "…", kind="code",
                          params={"code": "123456", "purpose": "用户解锁", "minutes": "10"})
    [request] = fake.received
    assert request["PhoneNumbers"] == MOBILE and request["SignName"] == "政务服务门户"
    assert request["TemplateCode"] == "SMS_100001"
    assert json.loads(request["TemplateParam"]) == {"code": "123456", "purpose": "用户解锁", "minutes": "10"}


async def test_a_request_signed_with_another_secret_is_refused_and_raises(database_url):
    fake = SigningGateway("gateway-secret")
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake.handler)) as http:
        sender = SmtpAndGatewaySender(_gateway_settings(database_url, "not-the-secret"), http)
        with pytest.raises(httpx.HTTPStatusError):
            await sender.send(None, "sms", MOBILE, "提醒", "您的密码已修改")
    assert fake.received == []


def test_the_signature_is_an_hmac_of_method_path_time_nonce_and_body_digest():
    body = b'{"a": 1}'
    text = "\n".join(("POST", "/v1/send", "1700000000", "n1", hashlib.sha256(body).hexdigest())).encode()
    assert signature("s", "/v1/send", "1700000000", "n1", body) == base64.b64encode(
        hmac.new(b"s", text, hashlib.sha256).digest()).decode()
