"""An answer reaches the asker by SMS and by e-mail through the message outbox: queued with the
answer, sent once it committed; a gateway that fails leaves the answer in place and its message to
the background loop's retries, logged without the address."""
from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import select

from idp.consultations.notices import queue_answer_notice, send_answer_notice
from idp.consultations.transitions import answer_consultation
from idp.notify import outbox as message_outbox
from idp.notify.models import QueuedMessage
from tests.support.authz import Clock
from tests.support.consultations import ASKER, file_question
from tests.support.space import messages_to


async def answer(put, *, roll_back: bool = False):
    row = await file_question(put)

    class RolledBack(Exception):
        pass

    try:
        async with put.portal.sessionmaker.begin() as db:
            row = await answer_consultation(db, row.id, staff="helpdesk1", text="请使用原账号登录。")
            notice = queue_answer_notice(db, row)
            if roll_back:
                raise RolledBack
    except RolledBack:
        pass
    return notice


async def test_the_answer_goes_by_sms_and_by_email(put):
    notice = await answer(put)
    assert await messages_to(put, ASKER["mobile"]) == []  # queued, not yet sent
    await send_answer_notice(put.portal, notice)
    [sms] = await messages_to(put, ASKER["mobile"])
    [mail] = await messages_to(put, ASKER["email"])
    assert notice.reference in sms.body and "我的互动" in sms.body
    assert "请使用原账号登录。" in mail.body and notice.reference in mail.subject


async def test_an_answer_that_rolled_back_sends_nothing(put):
    notice = await answer(put, roll_back=True)
    await send_answer_notice(put.portal, notice)
    assert await messages_to(put, ASKER["mobile"]) == [] and await messages_to(put, ASKER["email"]) == []


class Gateways:
    """Stand in for the SMTP server and the SMS gateway: records what went out; SMS may be down."""

    def __init__(self):
        self.sent: list[tuple[str, str, str]] = []
        self.sms_down = True

    async def send(self, db, channel, recipient, subject, body, *, kind="notice", params=None):
        if channel == "sms" and self.sms_down:
            raise httpx.ConnectError("gateway down")
        self.sent.append((channel, recipient, body))


@pytest.fixture
def gateways(monkeypatch):
    fake = Gateways()
    monkeypatch.setattr(message_outbox, "make_sender", lambda settings, http: fake)
    return fake


async def test_a_failing_gateway_is_retried_later_and_logged_without_the_address(put, gateways, monkeypatch,
                                                                                caplog):
    notice = await answer(put)
    with caplog.at_level(logging.WARNING, logger="idp.notify.outbox"):
        await send_answer_notice(put.portal, notice)
    assert [(channel, to) for channel, to, _ in gateways.sent] == [("email", ASKER["email"])]  # the e-mail went
    [warning] = [r.getMessage() for r in caplog.records if r.name == "idp.notify.outbox"]
    assert "ConnectError" in warning and ASKER["mobile"] not in warning
    async with put.portal.reader() as db:
        [waiting] = (await db.scalars(select(QueuedMessage).where(QueuedMessage.delivered_at.is_(None)))).all()
    assert waiting.channel == "sms" and waiting.attempts == 1

    gateways.sms_down = False
    Clock(monkeypatch).advance(seconds=60)
    assert await message_outbox.deliver_due(put.portal) == 1
    [(channel, to, body)] = gateways.sent[1:]
    assert (channel, to) == ("sms", ASKER["mobile"]) and notice.reference in body
