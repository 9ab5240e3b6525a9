"""Telling the asker that the help desk answered: by SMS and by e-mail, to the mobile and the
e-mail given with the question, once the answer committed (a notice of an answer that rolled back
would be false). The 我的消息 note went in with the answer itself (transitions.answer_consultation)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from idp.consultations.models import Consultation
from idp.notify.senders import MessageSender
from shared.messages import text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerNotice:
    reference: str  # for the log, which never names an address
    subject: str
    sms: tuple[str, str]  # (mobile, text): a short pointer, an SMS is no place for a long answer
    email: tuple[str, str]  # (address, text): the question and the whole answer


def answer_notice(row: Consultation) -> AnswerNotice:
    """Built from the answered row, inside the transaction that answered it."""
    subject = text("consultation.answer_mail_subject", reference=row.reference)
    sms = text("consultation.answer_sms", reference=row.reference)
    mail = text("consultation.answer_mail_body", name=row.name, reference=row.reference, title=row.title,
                answer=row.answer or "")
    return AnswerNotice(row.reference, subject, (row.mobile, sms), (row.email, mail))


async def send_answer_notice(sessionmaker: async_sessionmaker[AsyncSession], sender: MessageSender,
                             notice: AnswerNotice) -> None:
    """After commit. A sender that fails leaves the answer in place (the asker still reads it in
    我的互动 or by the lookup) and is logged without the addresses."""
    for channel, (address, body) in (("sms", notice.sms), ("email", notice.email)):
        try:
            async with sessionmaker.begin() as db:  # the development sink stores the messages
                await sender.send(db, channel, address, notice.subject, body)
        except Exception as exc:  # SMTP and gateway errors alike
            log.warning("answer notice of consultation %s not sent by %s: %s", notice.reference, channel,
                        type(exc).__name__)
