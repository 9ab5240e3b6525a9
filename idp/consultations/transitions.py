"""The state changes of a question (咨询): submit, answer, close, reassign.

Each is a function named after its transition, takes the caller's transaction, checks the current
state first (a coded DomainError says why not) and then changes the row with one conditional
UPDATE … WHERE status = … RETURNING, so of two help-desk members answering at once exactly one
wins and the other is told (``consultation.not_open``). Staff actions are audited with the
actor ``staff:<username>`` in the same transaction.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import Account
from idp.audit.log import record
from idp.consultations import references, working_days
from idp.consultations.models import ANSWERED, CLOSED, OPEN, Consultation
from idp.consultations.queries import get_consultation
from idp.consultations.questions import (
    ACCOUNT_TYPES,
    CATEGORIES,
    DESCRIPTION_MAX,
    Question,
    clean_text,
    lookup_key,
)
from idp.errors import DomainError
from idp.inbox.store import post_message
from shared.messages import text as message

ANSWER_MAX = 2000
ANSWERED_KIND = "consultation_answered"  # AccountMessage.kind of the 我的消息 note
REFERENCE_ATTEMPTS = 5


def staff_actor(staff: str) -> str:
    return f"staff:{staff}"


def _check_question(question: Question) -> None:
    """The rules the form checks, again here: no caller may store a question that breaks them."""
    if question.category not in CATEGORIES or question.account_type not in ACCOUNT_TYPES:
        raise DomainError("consultation.invalid", detail="unknown category or account type")
    if len(question.description) > DESCRIPTION_MAX:
        raise DomainError("consultation.too_long", label="问题描述", max=DESCRIPTION_MAX)
    if not all((question.title, question.description, question.name, question.id_number, question.mobile,
                question.email)):
        raise DomainError("consultation.invalid", detail="a required field is empty")


async def submit_consultation(db: AsyncSession, question: Question, *, account_id: int | None = None,
                              actor: str | None = None, source_ip: str | None = None) -> Consultation:
    """File ``question``: a fresh reference (drawn again on the rare collision), the deadline of
    two working days, tied to ``account_id`` when the asker is logged in."""
    _check_question(question)
    now = clock.now()
    for _ in range(REFERENCE_ATTEMPTS):
        row = Consultation(
            reference=references.new_reference(now), system=question.system, category=question.category,
            account_type=question.account_type, title=question.title, description=question.description,
            name=question.name, id_type=question.id_type, id_number=question.id_number, mobile=question.mobile,
            email=question.email, lookup_key=lookup_key(question.name, question.mobile, question.email),
            account_id=account_id, submitted_at=now, due_at=working_days.due_at(now), status=OPEN,
        )
        try:
            async with db.begin_nested():  # a collision undoes this row only
                db.add(row)
        except IntegrityError:
            continue
        record(db, "consultation.submitted", actor=actor, source_ip=source_ip, reference=row.reference,
               consultation_id=row.id, category=row.category, system=row.system)
        return row
    raise DomainError("consultation.busy", detail="no free reference after several attempts")


async def _open_one(db: AsyncSession, consultation_id: int, *statuses: str) -> Consultation:
    """The question, if it is in one of ``statuses``: else the coded refusal."""
    row = await get_consultation(db, consultation_id)
    if row is None:
        raise DomainError("consultation.not_found", status_code=404)
    if row.status not in statuses:
        raise DomainError("consultation.not_open", status_code=409, detail=f"status is {row.status}")
    return row


async def _asker(db: AsyncSession, row: Consultation) -> str | None:
    """The audit log's subject of a staff action: the asker's account, when the question is tied
    to one (else the event concerns no account and the subject is the actor)."""
    if row.account_id is None:
        return None
    return await db.scalar(select(Account.subject).where(Account.id == row.account_id))


async def _move(db: AsyncSession, consultation_id: int, statuses: tuple[str, ...], **values) -> Consultation:
    """One conditional UPDATE; the loser of a race gets ``consultation.not_open``."""
    result = await db.execute(
        update(Consultation).where(Consultation.id == consultation_id, Consultation.status.in_(statuses))
        .values(**values).returning(Consultation.id).execution_options(synchronize_session=False)
    )
    if result.first() is None:
        raise DomainError("consultation.not_open", status_code=409, detail="changed meanwhile")
    row = await db.get(Consultation, consultation_id, populate_existing=True)
    assert row is not None
    return row


async def answer_consultation(db: AsyncSession, consultation_id: int, *, staff: str, text: str,
                              source_ip: str | None = None) -> Consultation:
    """回复: only an open question; the asker's 我的消息 gets a note when the question is tied to an
    account. The SMS and e-mail go after commit (idp.consultations.notices)."""
    answer = clean_text(text)
    if not answer:
        raise DomainError("consultation.answer_required")
    if len(answer) > ANSWER_MAX:
        raise DomainError("consultation.answer_too_long", max=ANSWER_MAX)
    if not answer.replace("\n", "").replace("\t", " ").isprintable():  # a NUL cannot even be stored on PostgreSQL
        raise DomainError("consultation.unprintable", label="回复内容")
    await _open_one(db, consultation_id, OPEN)
    now = clock.now()
    row = await _move(db, consultation_id, (OPEN,), status=ANSWERED, answer=answer, answered_at=now,
                      answered_by=staff)
    if row.account_id is not None:
        post_message(db, row.account_id, ANSWERED_KIND, message("consultation.answered_title"),
                     message("consultation.answered_note", reference=row.reference, title=row.title, answer=answer))
    record(db, "consultation.answered", actor=staff_actor(staff), subject=await _asker(db, row),
           source_ip=source_ip, reference=row.reference, consultation_id=row.id)
    return row


async def close_consultation(db: AsyncSession, consultation_id: int, *, staff: str,
                             source_ip: str | None = None) -> Consultation:
    """关闭: an open or answered question; a closed one stays as it is."""
    await _open_one(db, consultation_id, OPEN, ANSWERED)
    row = await _move(db, consultation_id, (OPEN, ANSWERED), status=CLOSED, closed_at=clock.now())
    record(db, "consultation.closed", actor=staff_actor(staff), subject=await _asker(db, row),
           source_ip=source_ip, reference=row.reference, consultation_id=row.id)
    return row


async def reassign_consultation(db: AsyncSession, consultation_id: int, *, staff: str, to: str,
                                source_ip: str | None = None) -> Consultation:
    """转派: an open question to another help-desk member (``to``, a staff username the caller
    checked has the role)."""
    to = (to or "").strip()
    if not to:
        raise DomainError("consultation.assignee_required")
    before = await _open_one(db, consultation_id, OPEN)
    previous = before.assignee
    row = await _move(db, consultation_id, (OPEN,), assignee=to)
    record(db, "consultation.reassigned", actor=staff_actor(staff), subject=await _asker(db, row),
           source_ip=source_ip, reference=row.reference, consultation_id=row.id, assignee=to, previous=previous)
    return row
