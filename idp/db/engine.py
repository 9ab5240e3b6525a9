"""The async engine and session factory: one per process, made in the app's lifespan."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Dialect, Row, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from idp.db.sqlite_driver import one_hop_dbapi

POOL_SIZE = 20
MAX_OVERFLOW = 10
# The execution option of a reader connection that runs a single SELECT and nothing else (a
# statement is atomic by itself on both databases; PostgreSQL's readers are autocommit anyway).
SINGLE_READ = "single_read"


def create_engine(url: str, *, pooled: bool = True, readers: bool = False, pool_size: int = POOL_SIZE,
                  max_overflow: int = MAX_OVERFLOW) -> AsyncEngine:
    """``readers``: the engine of :func:`create_read_sessionmaker` (on SQLite, a pool of many).
    ``pool_size`` and ``max_overflow`` size a PostgreSQL pool and SQLite's readers' (IDP_DATABASE_POOL_SIZE, …)."""
    kwargs: dict = {}
    if url.startswith("sqlite"):
        parsed = make_url(url)
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)  # e.g. var/ on a fresh clone
            if pooled and not readers:
                # SQLite has one writer at a time. With a pool of many, every waiting writer holds
                # a connection in SQLite's busy handler, which sleeps in growing steps (up to
                # 100 ms) before it retries the lock: under load most of the time went to those
                # sleeps. With one writer connection the waiting happens in the pool's queue,
                # first come first served, and the next writer starts the moment the lock is
                # free. Other processes on the same file still wait in the busy handler.
                kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60)
            elif pooled:
                # The readers keep as many connections as PostgreSQL's pool does. SQLAlchemy's
                # default keeps 5 and closes each overflow connection when it is returned: under
                # 16 concurrent UserInfo calls most checkouts opened a new SQLite connection (a
                # thread of aiosqlite's, the PRAGMAs below) for one SELECT.
                kwargs.update(pool_size=pool_size, max_overflow=max_overflow)
        # Many writers share one file: wait for the lock instead of failing at once.
        kwargs["connect_args"] = {"timeout": 30}
        if parsed.get_driver_name() == "aiosqlite":
            kwargs["module"] = one_hop_dbapi()  # one call to aiosqlite's thread per statement
    elif pooled:
        # Keep up to 20 connections open (connections are opened on demand, so an idle instance
        # holds few). SQLAlchemy's default keeps 5 and closes each of the 10 overflow connections
        # when it is returned: under more than 5 concurrent requests nearly every checkout opened
        # a new PostgreSQL connection (a server process, authentication, asyncpg's statement
        # cache lost). Each instance has two such pools, the writers' and the readers', so it
        # may open 2 × (pool_size + max_overflow) connections: with several instances on one
        # server, size them to its max_connections (docs/operations.md, "Sizing").
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow)
        if readers:
            # Under READ COMMITTED (PostgreSQL's default, which we keep) every statement takes
            # its own snapshot even inside a transaction, so a read-only transaction gives the
            # readers nothing autocommit does not; it only cost a BEGIN and a ROLLBACK per session.
            kwargs["isolation_level"] = "AUTOCOMMIT"
    if not pooled:
        kwargs["poolclass"] = NullPool
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    return engine


async def read_row(engine: AsyncEngine, statement, parameters: dict) -> tuple[Row | None, Dialect]:
    """The first row of one SELECT on a pooled connection of ``engine`` (the readers'), without an
    ORM session and, on SQLite, without a BEGIN (SINGLE_READ); and the dialect that read it, which
    encrypted columns selected as stored need to open (idp.principals.columns)."""
    async with engine.connect() as connection:
        sync_connection = connection.sync_connection
        assert sync_connection is not None  # connected
        sync_connection.execution_options(**{SINGLE_READ: True})  # in place, for this checkout only
        return (await connection.execute(statement, parameters)).first(), connection.dialect


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling would defer BEGIN; we issue it ourselves below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Overwrite deleted content with zeros, whatever the SQLite build's default: a replaced value
    # (personal data re-encrypted, a code's row purged) leaves nothing readable in a free page.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_begin_immediate(connection) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so a transaction that reads then writes
    # cannot fail on lock upgrade; SQLite serialises writers anyway. Read-only sessions
    # (see create_read_sessionmaker) begin deferred and, under WAL, never wait for writers.
    # A connection that runs one SELECT (SINGLE_READ) begins nothing: SQLite runs the statement
    # in a read transaction of its own, and an explicit BEGIN cost three more hops to aiosqlite's
    # thread on every UserInfo call.
    options = connection.get_execution_options()
    if options.get(SINGLE_READ):
        return
    if options.get("read_only"):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def create_read_sessionmaker(engine: AsyncEngine, *, pool_size: int = POOL_SIZE,
                             max_overflow: int = MAX_OVERFLOW) -> async_sessionmaker[AsyncSession]:
    """For transactions that only read: on SQLite they take no write lock.

    They get a connection pool of their own. A writer holding a lock sometimes reads through
    this sessionmaker (the key ring, the client registry); with one shared pool, the writers
    queued behind that lock could hold every connection, and the lock holder would wait for a
    connection that frees only once it commits — a deadlock until the pool timeout. Readers
    never wait for a lock (WAL on SQLite, MVCC on PostgreSQL), so their pool always drains.
    The reader pool is disposed together with ``engine``.
    """
    reader = create_engine(engine.url.render_as_string(hide_password=False),
                           pooled=not isinstance(engine.pool, NullPool), readers=True, pool_size=pool_size,
                           max_overflow=max_overflow)
    # AsyncEngine.dispose runs the sync dispose inside a greenlet, where this one can run too.
    event.listen(engine.sync_engine, "engine_disposed", lambda _engine: reader.sync_engine.dispose())
    return async_sessionmaker(reader.execution_options(read_only=True), expire_on_commit=False)
