"""Group commit: the inserts of concurrent requests written in one transaction.

A request hands its rows to :func:`write` as :class:`Rows` (INSERT statements built once, each
with its values) and waits; one writer per engine takes everything queued, runs each statement
once with all the requests' values (executemany: asyncpg pipelines them, aiosqlite runs them in
one call), commits, and only then answers each request. So a request still answers only after its
own rows are durable, while concurrent requests share one BEGIN, one COMMIT (one WAL flush) and
one round trip per table instead of one per row.

There is no waiting window: the writer takes what is queued when it starts a batch, and whatever
arrives while that batch is written goes into the next one. Under load the batches grow by
themselves; alone, a request pays what it paid before (its own transaction). On PostgreSQL two
batches may be in flight at once (``IN_FLIGHT``): a commit waits ≈ 7 ms for its WAL flush on this
machine, and the server flushes the commits waiting together with one write, so one batch at a
time left the connection idle for most of that wait; four split 16 clients' requests into batches
of one or two, each paying its own executions and commit (docs/performance.md: two gave up to 8 %
more throughput than four). SQLite has one writer: one batch at a time.

A batch that fails (a row breaking a constraint) is written again one request per transaction,
so only the request whose rows fail again fails. Nothing is kept but the rows of requests not yet
answered: another instance needs nothing from this one.
"""
from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Insert, Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

MAX_BATCH = 256  # requests per transaction: bounds a statement's parameter list and a retry's cost
IN_FLIGHT = {"postgresql": 2}  # batches written at once, by dialect; otherwise one


@dataclass
class Rows:
    """One request's inserts, and what to do once they are committed (count a metric)."""

    inserts: list[tuple[Insert, dict]] = field(default_factory=list)
    on_commit: list[Callable[[], object]] = field(default_factory=list)

    def add(self, statement: Insert, values: dict) -> None:
        self.inserts.append((statement, values))

    def committed(self) -> None:
        """What to do now that the rows are committed."""
        for callback in self.on_commit:
            callback()

    def __bool__(self) -> bool:
        return bool(self.inserts)


@dataclass
class _Pending:
    rows: Rows
    answer: asyncio.Future


class GroupCommit:
    """The writer of one engine: a queue of requests not yet answered, and the tasks writing them
    (running only while there is something queued)."""

    def __init__(self, engine: AsyncEngine, in_flight: int | None = None):
        self.engine = engine
        self.in_flight = in_flight or IN_FLIGHT.get(engine.dialect.name, 1)
        self.queue: list[_Pending] = []
        self.tasks: set[asyncio.Task] = set()
        self.batches = 0  # transactions committed (the tests read them)

    async def write(self, rows: Rows) -> None:
        """Return once ``rows`` are committed; raise what their own transaction raised."""
        if not rows:
            return
        answer = asyncio.get_running_loop().create_future()
        self.queue.append(_Pending(rows, answer))
        if len(self.tasks) < self.in_flight:
            task = asyncio.create_task(self._drain())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        # Shielded: a request that goes away (client disconnect) does not cancel its rows' write.
        await asyncio.shield(answer)

    async def flush(self) -> None:
        """Wait until everything queued so far is written (the app's shutdown)."""
        while self.tasks:
            await asyncio.wait(set(self.tasks))

    async def _drain(self) -> None:
        while self.queue:
            batch, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
            try:
                await self._write_batch(batch)
            except BaseException as exc:  # cancelled or worse: no request may wait for ever
                for pending in batch:
                    _answer(pending, exc)
                raise

    async def _write_batch(self, batch: list[_Pending]) -> None:
        try:
            async with self.engine.begin() as connection:
                await insert_all(connection, [pending.rows for pending in batch])
        except Exception as exc:
            if len(batch) == 1:
                _answer(batch[0], exc)
                return
            log.warning("a group commit of %d requests failed (%s); writing each alone", len(batch),
                        type(exc).__name__)
            for pending in batch:  # each in its own transaction: only the bad one fails
                await self._write_batch([pending])
            return
        self.batches += 1
        for pending in batch:
            _answer(pending, None)


def _answer(pending: _Pending, error: BaseException | None) -> None:
    if pending.answer.done():  # answered already (a retry of a batch that was cancelled)
        return
    if isinstance(error, asyncio.CancelledError):  # the writer stopped (the loop closing): so does the request
        pending.answer.cancel()
        return
    if error is not None:
        pending.answer.set_exception(error)
        return
    pending.rows.committed()
    pending.answer.set_result(None)


async def insert_all(connection: AsyncConnection, requests: list[Rows]) -> None:
    """Every request's rows, one execution per statement, referenced tables first (a token row
    needs its grant, whichever request came first)."""
    by_statement: dict[tuple[Insert, tuple[str, ...]], list[dict]] = {}
    for rows in requests:
        for statement, values in rows.inserts:
            by_statement.setdefault((statement, tuple(values)), []).append(values)
    for statement, keys in sorted(by_statement, key=lambda group: _table_rank(group[0])):
        values_list = by_statement[statement, keys]
        plan = driver_insert(statement, keys, connection.dialect)
        if plan is None:
            await connection.execute(statement, values_list if len(values_list) > 1 else values_list[0])
            continue
        parameters = [plan.parameters(values) for values in values_list]
        await connection.exec_driver_sql(plan.sql, parameters if len(parameters) > 1 else parameters[0])


@dataclass(frozen=True, slots=True)
class DriverInsert:
    """An INSERT as the driver takes it: its SQL in the driver's parameter style, and for each
    parameter in order the key of its value and the type's conversion (None: passed as is)."""

    sql: str
    columns: tuple[tuple[str, Callable[[object], object] | None], ...]

    def parameters(self, values: dict) -> tuple:
        return tuple(values[key] if convert is None else convert(values[key]) for key, convert in self.columns)


_driver_inserts: dict[tuple, DriverInsert | None] = {}


def driver_insert(statement: Insert, keys: tuple[str, ...], dialect) -> DriverInsert | None:
    """``statement`` for rows with ``keys``, compiled once per dialect: executing it through
    SQLAlchemy's compiled path processes every row's parameters one by one (10 % of a PostgreSQL
    client_credentials call went to it); the conversions are the same, looked up once here.
    None when SQLAlchemy must compute something per row (a Python-side default of a column
    the rows leave out): that statement keeps the compiled path."""
    cache_key = (statement, keys, type(dialect), dialect.paramstyle)
    if cache_key not in _driver_inserts:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
        plain = (compiled.positiontup is not None and not compiled.insert_prefetch
                 and not compiled.escaped_bind_names and set(compiled.positiontup) <= set(keys))
        _driver_inserts[cache_key] = DriverInsert(compiled.string, tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup or ())) if plain else None
    return _driver_inserts[cache_key]


_ranks: dict[Table, int] = {}


def _table_rank(statement: Insert) -> int:
    """The table's place in its metadata's dependency order (computed once: sorting is not cheap)."""
    table = statement.table
    assert isinstance(table, Table)
    if table not in _ranks:
        _ranks.update((t, rank) for rank, t in enumerate(table.metadata.sorted_tables))
    return _ranks[table]


_writers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def writer_for(engine: AsyncEngine) -> GroupCommit:
    """The one writer of ``engine`` in this process (made on first use)."""
    writer = _writers.get(engine.sync_engine)
    if writer is None:
        writer = _writers[engine.sync_engine] = GroupCommit(engine)
    return writer


async def write(engine: AsyncEngine, rows: Rows) -> None:
    """Insert ``rows`` in a transaction shared with the concurrent requests'; return once committed."""
    await writer_for(engine).write(rows)


async def flush(engine: AsyncEngine) -> None:
    """Finish the writes queued for ``engine`` (before it is disposed)."""
    writer = _writers.get(engine.sync_engine)
    if writer is not None:
        await writer.flush()
