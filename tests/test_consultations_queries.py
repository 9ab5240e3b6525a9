"""The reads of 咨询: the help desk's queue (overdue first), the unbinding requests, an account's
questions, and the lookup without login (last three months, questions filed without login only)."""
from __future__ import annotations

import datetime as dt

from idp.consultations import queries
from idp.consultations.queries import months_before
from idp.consultations.transitions import answer_consultation
from tests.support.consultations import ASKER, file_question

DAY = dt.timedelta(days=1)


async def test_the_queue_lists_open_questions_overdue_first(put):
    recent = await file_question(put, category="login")
    overdue = await file_question(put, age=10 * DAY)
    answered = await file_question(put, age=20 * DAY)
    async with put.portal.sessionmaker.begin() as db:
        await answer_consultation(db, answered.id, staff="helpdesk1", text="好的")
    async with put.portal.reader() as db:
        queue = await queries.open_queue(db)
        unbinding = await queries.open_unbind_requests(db)
    assert [row.id for row in queue] == [overdue.id, recent.id]
    assert [row.id for row in unbinding] == [overdue.id]


async def test_an_accounts_questions_are_its_own_newest_first(put):
    older = await file_question(put, account_id=put.account.id, age=DAY)
    newer = await file_question(put, account_id=put.account.id)
    await file_question(put)  # without login: not the account's
    async with put.portal.reader() as db:
        mine = await queries.for_account(db, put.account.id)
    assert [row.id for row in mine] == [newer.id, older.id]


async def test_the_lookup_finds_recent_questions_filed_without_login(put):
    recent = await file_question(put, age=80 * DAY)
    await file_question(put, age=120 * DAY)  # four months old
    await file_question(put, account_id=put.account.id)  # filed logged in: 我的互动 only
    await file_question(put, email="other@example.com")  # someone else's
    async with put.portal.reader() as db:
        found = await queries.lookup_without_login(db, **ASKER)
        upper = await queries.lookup_without_login(db, ASKER["name"], ASKER["mobile"], "WXM@EXAMPLE.COM")
        wrong = await queries.lookup_without_login(db, "王小", ASKER["mobile"], ASKER["email"])
    assert [row.id for row in found] == [recent.id] == [row.id for row in upper]
    assert wrong == []


def test_three_months_before_is_by_the_calendar():
    at = dt.datetime(2026, 5, 31, 8, 0, tzinfo=dt.UTC)
    assert months_before(at, 3) == dt.datetime(2026, 2, 28, 8, 0, tzinfo=dt.UTC)
    assert months_before(dt.datetime(2026, 2, 10, tzinfo=dt.UTC), 3) == dt.datetime(2025, 11, 10, tzinfo=dt.UTC)
