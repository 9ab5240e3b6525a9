"""Reading questions: one by id, the help desk's queue, the unbinding requests, an account's
questions (我的互动 → 在线办事反馈) and the lookup without login."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.consultations.models import OPEN, Consultation
from idp.consultations.questions import UNBINDING, lookup_key

QUEUE_SIZE = 200
LOOKUP_MONTHS = 3  # 本界面仅供查询近3个月的未登录状态下的问题回复
LOOKUP_SIZE = 50


async def get_consultation(db: AsyncSession, consultation_id: int) -> Consultation | None:
    return await db.get(Consultation, consultation_id, populate_existing=True)


async def get_by_reference(db: AsyncSession, reference: str) -> Consultation | None:
    return await db.scalar(select(Consultation).where(Consultation.reference == reference))


async def open_queue(db: AsyncSession, *, assignee: str | None = None, limit: int = QUEUE_SIZE) -> list[Consultation]:
    """Open questions, earliest deadline first: the overdue ones lead. ``assignee``: only those
    assigned to that staff member."""
    query = select(Consultation).where(Consultation.status == OPEN)
    if assignee is not None:
        query = query.where(Consultation.assignee == assignee)
    rows = await db.scalars(query.order_by(Consultation.due_at, Consultation.id).limit(limit))
    return list(rows.all())


async def open_unbind_requests(db: AsyncSession, limit: int = QUEUE_SIZE) -> list[Consultation]:
    """Open questions of the 解除绑定 category, earliest deadline first (the binding administrators' list)."""
    rows = await db.scalars(select(Consultation).where(Consultation.status == OPEN,
                                                       Consultation.category == UNBINDING)
                            .order_by(Consultation.due_at, Consultation.id).limit(limit))
    return list(rows.all())


async def for_account(db: AsyncSession, account_id: int, limit: int = QUEUE_SIZE) -> list[Consultation]:
    """The questions an account filed while logged in, newest first."""
    rows = await db.scalars(select(Consultation).where(Consultation.account_id == account_id)
                            .order_by(Consultation.submitted_at.desc(), Consultation.id.desc()).limit(limit))
    return list(rows.all())


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day if shorter)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in range(moment.day, 27, -1):  # 31 → 30 → 29 → 28
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


async def lookup_without_login(db: AsyncSession, name: str, mobile: str, email: str) -> list[Consultation]:
    """The questions filed without login by this 咨询人, 手机号 and 电子邮箱 (checked, normalised
    values) in the last three months, newest first. Nothing else is ever found by them: a
    question tied to an account is read in 我的互动 only."""
    since = months_before(clock.now(), LOOKUP_MONTHS)
    rows = await db.scalars(select(Consultation).where(
        Consultation.lookup_key == lookup_key(name, mobile, email), Consultation.account_id.is_(None),
        Consultation.submitted_at >= since,
    ).order_by(Consultation.submitted_at.desc(), Consultation.id.desc()).limit(LOOKUP_SIZE))
    return list(rows.all())
