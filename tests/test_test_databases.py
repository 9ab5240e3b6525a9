"""The per-test databases (tests/support/databases.py): a test never sees another test's rows,
whether its database is a new copy (SQLite) or an earlier test's, emptied (PostgreSQL); a
database whose schema changed or that is still in use is not handed out again; a crashed run's
databases are dropped by the next run, a running one's are left alone."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc

import asyncpg
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from idp.db.engine import create_engine
from tests.support.databases import PREFIX, TestDatabases, run_of
from tests.support.portal import running_portal


async def _on(url: str, work):
    engine = create_engine(url, pooled=False)
    try:
        async with engine.begin() as conn:
            return await work(conn)
    finally:
        await engine.dispose()


async def _row_counts(conn) -> dict[str, int]:
    tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    return {t: (await conn.execute(text(f'SELECT count(*) FROM "{t}"'))).scalar_one()
            for t in tables if t != "alembic_version"}


async def _add_audit_event(conn) -> int:
    await conn.execute(text("INSERT INTO audit_events (at, event, outcome, details) "
                            "VALUES (:at, 'x', 'success', '{}')"),
                       {"at": dt.datetime.now(dt.UTC)})
    return (await conn.execute(text("SELECT max(id) FROM audit_events"))).scalar_one()


async def test_the_next_test_sees_none_of_the_previous_tests_rows(databases):
    first = await databases.fresh()
    async with running_portal(first) as portal:
        await portal.add_client("rp")
        await portal.add_account("zhangsan", account_type="personal", id_type="居民身份证",
                                 id_number="110000198506120133", mobile="13800138000", realname_level=2)
    await _on(first, _add_audit_event)
    await _on(first, _add_audit_event)
    assert sum((await _on(first, _row_counts)).values()) > 3
    databases.release(first)

    second = await databases.fresh()
    try:
        if databases.is_postgres:
            assert second == first  # the emptied database is the one handed out again
        assert set((await _on(second, _row_counts)).values()) == {0}
        assert await _on(second, _add_audit_event) == 1  # the identity sequences start over too
        async with running_portal(second) as portal:  # and the portal starts on it as on a new one
            await portal.add_account("zhangsan")
    finally:
        databases.release(second)


async def test_a_database_whose_schema_changed_is_not_handed_out_again(databases):
    changed = await databases.fresh()
    await _on(changed, lambda conn: conn.execute(text("DROP INDEX ix_grants_sid")))
    databases.release(changed)

    following = await databases.fresh()
    try:
        assert following != changed
        indexes = await _on(following, lambda conn: conn.run_sync(
            lambda sync: {i["name"] for i in inspect(sync).get_indexes("grants")}))
        assert "ix_grants_sid" in indexes
    finally:
        databases.release(following)


async def test_a_database_still_in_use_is_not_handed_out_again(databases):
    if not databases.is_postgres:
        pytest.skip("a SQLite file is never handed out twice")
    in_use = await databases.fresh()
    engine = create_engine(in_use, pooled=False)
    holder = await engine.connect()  # a process the test forgot to stop
    try:
        await holder.execute(text("SELECT 1"))
        databases.release(in_use)
        with pytest.warns(ResourceWarning, match="still open"):
            following = await databases.fresh()
    finally:
        with contextlib.suppress(Exception):  # the drop (WITH FORCE) may have closed it already
            await holder.close()
        await engine.dispose()
    assert following != in_use
    databases.release(following)


async def test_a_crashed_runs_databases_are_dropped_and_a_running_ones_kept(databases, tmp_path):
    if not databases.is_postgres:
        pytest.skip("SQLite files live in the run's own temporary folder")
    admin = await asyncpg.connect(databases._pg_admin_dsn())
    crashed = TestDatabases(databases.base_url, tmp_path)
    crashed.run = f"{int(crashed.run[:8], 16) - 60:08x}{crashed.run[8:]}"  # started a minute earlier
    leftover = f"{PREFIX}{crashed.run}_t1"
    running_name = f"{PREFIX}{databases.run}_t999999"
    try:
        for name in (leftover, running_name):
            await admin.execute(f'CREATE DATABASE "{name}"')
        assert run_of(leftover) == crashed.run

        later = TestDatabases(databases.base_url, tmp_path)
        await asyncio.to_thread(later.start)  # it runs its own event loops, as at a run's start
        await asyncio.to_thread(later.finish)

        names = {r[0] for r in await admin.fetch("SELECT datname FROM pg_database")}
        assert leftover not in names  # nobody held the crashed run's lock
        assert running_name in names  # this run holds its lock: its databases stay
        assert later._template not in names  # and the later run cleaned up after itself
    finally:
        for name in (leftover, running_name):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_a_query_cancelled_as_its_connection_closes_leaves_no_error_behind(database_url):
    """The test databases' URL connects without asking the loopback server for TLS: asyncpg's
    cancel request, torn down mid-negotiation, would leave "Future exception was never retrieved"
    for the garbage collector to log in some later test (MagicStack/asyncpg#1310)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("asyncpg's cancel request: PostgreSQL only")
    url = make_url(database_url)
    _, params = url.get_dialect()().create_connect_args(url)  # what the portal's engine passes asyncpg
    loop = asyncio.get_running_loop()
    previous, errors = loop.get_exception_handler(), []
    loop.set_exception_handler(lambda _loop, context: errors.append(context["message"]))
    try:
        for ticks in range(10):  # the cancel request's progress when its connection is closed
            connection = await asyncpg.connect(**params)
            query = asyncio.create_task(connection.fetch("SELECT pg_sleep(5)"))
            await asyncio.sleep(0.02)
            query.cancel()
            for _ in range(ticks):
                await asyncio.sleep(0)
            connection.terminate()
            with contextlib.suppress(BaseException):
                await query
            await asyncio.sleep(0.01)
            gc.collect()
    finally:
        loop.set_exception_handler(previous)
    assert errors == []
