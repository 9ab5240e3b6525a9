"""Telling the asker that the help desk answered: by SMS and by e-mail, to the mobile and the
e-mail given with the question. Both are queued in the message outbox in the transaction that
answered (with the 我的消息 note, transitions.answer_consultation) and sent once it committed: a
notice of an answer that rolled back would be false, and a failing gateway is retried by the
background loop."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from idp.consultations.models import Consultation
from idp.notify.outbox import deliver_all_now, queue_notice
from idp.portal import Portal
from shared.messages import text


@dataclass(frozen=True)
class AnswerNotice:
    reference: str
    message_ids: tuple[str, ...]  # the SMS and the e-mail in the outbox


def queue_answer_notice(db: AsyncSession, row: Consultation) -> AnswerNotice:
    """Inside the transaction that answered ``row``. The SMS is a short pointer (no place for a
    long answer); the e-mail carries the question and the whole answer."""
    subject = text("consultation.answer_mail_subject", reference=row.reference)
    sms = text("consultation.answer_sms", reference=row.reference)
    mail = text("consultation.answer_mail_body", name=row.name, reference=row.reference, title=row.title,
                answer=row.answer or "")
    return AnswerNotice(row.reference, (queue_notice(db, "sms", row.mobile, subject, sms),
                                        queue_notice(db, "email", row.email, subject, mail)))


async def send_answer_notice(portal: Portal, notice: AnswerNotice) -> None:
    """After commit: at once; a failing sender leaves its message to the background loop."""
    await deliver_all_now(portal, notice.message_ids)
