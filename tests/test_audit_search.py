"""An auditor's search of the audit log: filters, newest first, keyset pages with signed tokens."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from idp.audit.filters import AuditFilters, parse_filters
from idp.audit.log import record
from idp.audit.search import newest_first, search_page
from idp.errors import DomainError
from tests.support.audit import BASE, add_events


async def _page(put, filters, token=None, size=50):
    async with put.portal.reader() as db:
        return await search_page(db, put.settings, filters, token, size)


async def _all_pages(put, filters, size):
    seen, token, pages = [], None, 0
    while True:
        page = await _page(put, filters, token, size)
        seen += [row.id for row in page.events]
        pages += 1
        token = page.next_token
        if token is None:
            return seen, pages


async def test_pages_run_newest_first_and_cover_the_search_once(put):
    # Seven events share one moment: the id breaks the tie, so no row is skipped or shown twice.
    ids = await add_events(put, 7, step=dt.timedelta(0))
    ids += await add_events(put, 6, start=BASE + dt.timedelta(minutes=5))
    seen, pages = await _all_pages(put, AuditFilters(event="test.event"), size=3)
    assert pages == 5
    assert seen == list(reversed(ids))  # newest first: the later moment, then the tie by id downwards


async def test_each_filter_narrows_the_search(put):
    await add_events(put, 2, event="binding.started", actor="alice", client_id="udi", source_ip="10.0.0.1")
    await add_events(put, 1, event="binding.ended", actor="system:udi", subject="alice", client_id="udi")
    await add_events(put, 1, event="bindings_other", actor="bob", outcome="failure", source_ip="10.0.0.2")
    await add_events(put, 1, event="login.failed", actor="bob", outcome="failure",
                     start=BASE + dt.timedelta(days=2))

    async def events(**values):
        page = await _page(put, parse_filters(values))
        return sorted(row.event for row in page.events)

    assert await events(event="binding.") == ["binding.ended", "binding.started", "binding.started"]
    assert await events(event="binding.started") == ["binding.started", "binding.started"]
    assert await events(event="Binding.Ended") == ["binding.ended"]  # event types are lower case
    assert await events(actor="alice") == ["binding.started", "binding.started"]
    assert await events(subject="alice") == ["binding.ended", "binding.started", "binding.started"]
    assert await events(client_id="udi", actor="system:udi") == ["binding.ended"]
    assert await events(outcome="failure") == ["bindings_other", "login.failed"]
    assert await events(source_ip="10.0.0.2") == ["bindings_other"]
    # bob's login.failed is at 2026-12-02 16:00Z, 2026-12-03 00:00 in Beijing: since includes, until excludes.
    assert await events(actor="bob", since="2026-12-03 00:00") == ["login.failed"]
    assert await events(actor="bob", until="2026-12-03 00:00", since="2026-12-01") == ["bindings_other"]
    assert await events(actor="bob", until="2026-12-03 00:01") == ["bindings_other", "login.failed"]
    assert await events(actor="bob", until="2026-12-03 00:00:00+08:00", since="2026-12-02T15:59+00:00") == []
    assert await events(event="no.such.") == []


def test_times_are_read_as_beijing_time_unless_they_carry_an_offset():
    filters = parse_filters({"since": "2026-12-01 08:00", "until": "2026-12-01T10:00+00:00"})
    assert filters.since == dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)
    assert filters.until == dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    assert filters.as_text() == {"since": "2026-12-01 08:00:00", "until": "2026-12-01 18:00:00"}


@pytest.mark.parametrize(("values", "message_id"), [
    ({"since": "yesterday"}, "audit.time_invalid"),
    ({"until": "2026-13-01"}, "audit.time_invalid"),
    ({"since": "2026-12-02", "until": "2026-12-01"}, "audit.range_empty"),
    ({"actor": "x" * 129}, "audit.filter_invalid"),
    ({"source_ip": "10.0.0.1\x00"}, "audit.filter_invalid"),
])
def test_bad_filters_are_refused_with_the_field_named(values, message_id):
    with pytest.raises(DomainError) as refused:
        parse_filters(values)
    assert refused.value.message_id == message_id
    assert "{" not in refused.value.text()


async def test_a_page_token_is_refused_when_altered_malformed_or_from_another_search(put):
    await add_events(put, 4)
    filters = AuditFilters(event="test.event")
    token = (await _page(put, filters, size=2)).next_token
    assert token is not None
    altered = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    for bad in (altered, "not a token", "", "x" * 500, token + "AAAA"):
        with pytest.raises(DomainError) as refused:
            await _page(put, filters, bad or "=", size=2)
        assert refused.value.message_id == "audit.page_token_invalid"
    with pytest.raises(DomainError):
        await _page(put, AuditFilters(event="test."), token, size=2)
    assert len((await _page(put, filters, token, size=2)).events) == 2


async def test_record_names_the_subject_or_takes_the_actor(put):
    async with put.portal.sessionmaker.begin() as db:
        record(db, "test.staff_action", actor="staff:li", subject="subject-of-zhangsan", reason="x")
        record(db, "test.own_action", actor="subject-of-zhangsan")
    page = await _page(put, AuditFilters(subject="subject-of-zhangsan"))
    assert [(row.event, row.actor) for row in page.events] == [("test.own_action", "subject-of-zhangsan"),
                                                              ("test.staff_action", "staff:li")]
    assert page.events[1].details == {"reason": "x"}


USUAL = {  # a search, and the index that must answer it
    "everything": (AuditFilters(), "at_id"),
    "time range": (AuditFilters(since=BASE, until=BASE + dt.timedelta(days=30)), "at_id"),
    "event": (AuditFilters(event="login.failed", since=BASE), "event_at_id"),
    "actor": (AuditFilters(actor="alice"), "actor_at_id"),
    "subject": (AuditFilters(subject="alice", until=BASE), "subject_at_id"),
    "client": (AuditFilters(client_id="udi", outcome="failure"), "client_id_at_id"),
    "source address": (AuditFilters(source_ip="10.0.0.1"), "source_ip_at_id"),
}


@pytest.mark.parametrize("name", list(USUAL))
async def test_usual_searches_read_their_index_in_page_order(put, name):
    """The page after the last row seen is a range of the filter's own index, without a sort."""
    filters, index = USUAL[name]
    statement = newest_first(filters, (BASE + dt.timedelta(days=1), 10**6), 51)
    async with put.portal.sessionmaker() as db:
        connection = await db.connection()
        compiled = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
        if connection.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in (await db.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))).all())
            assert "TEMP B-TREE" not in plan, plan
        else:
            # An empty table's plan is anything; with these off, a Sort or a table scan remains only
            # where no index can give the rows in page order.
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                await db.execute(text(f"SET LOCAL {setting} = off"))
            plan = " ".join(r[0] for r in (await db.execute(text(f"EXPLAIN {compiled}"))).all())
            assert "Sort" not in plan, plan
    used = (f"INDEX ix_audit_events_{index} ", f"Index Scan Backward using ix_audit_events_{index} ")
    assert any(phrase in plan for phrase in used), plan
