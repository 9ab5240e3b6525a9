"""An answer reaches the asker by SMS and by e-mail once it committed; a sender that fails leaves
the answer in place and is logged without the addresses."""
from __future__ import annotations

import logging

from idp.consultations.notices import answer_notice, send_answer_notice
from idp.consultations.transitions import answer_consultation
from idp.notify.senders import DevelopmentSink, MessageSender
from tests.support.consultations import ASKER, file_question
from tests.support.space import messages_to


async def answered(put):
    row = await file_question(put)
    async with put.portal.sessionmaker.begin() as db:
        row = await answer_consultation(db, row.id, staff="helpdesk1", text="请使用原账号登录。")
        return answer_notice(row)


async def test_the_answer_goes_by_sms_and_by_email(put):
    notice = await answered(put)
    await send_answer_notice(put.portal.sessionmaker, DevelopmentSink(), notice)
    [sms] = await messages_to(put, ASKER["mobile"])
    [mail] = await messages_to(put, ASKER["email"])
    assert notice.reference in sms.body and "我的互动" in sms.body
    assert "请使用原账号登录。" in mail.body and notice.reference in mail.subject


class BrokenSms(DevelopmentSink):
    async def send(self, db, channel, recipient, subject, body):
        if channel == "sms":
            raise ConnectionError("gateway down")
        await super().send(db, channel, recipient, subject, body)


async def test_a_failing_sender_is_logged_without_the_address(put, caplog):
    notice = await answered(put)
    sender: MessageSender = BrokenSms()
    with caplog.at_level(logging.WARNING, logger="idp.consultations.notices"):
        await send_answer_notice(put.portal.sessionmaker, sender, notice)
    assert await messages_to(put, ASKER["email"])  # the e-mail still went
    [warning] = [r.getMessage() for r in caplog.records if r.name == "idp.consultations.notices"]
    assert notice.reference in warning and "ConnectionError" in warning and ASKER["mobile"] not in warning
