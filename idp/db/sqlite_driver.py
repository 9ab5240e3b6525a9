"""SQLite through aiosqlite with one hop to its thread per statement.

aiosqlite runs every call on the connection's own thread, and SQLAlchemy's adapter makes four
such calls for a statement that returns rows (open a cursor, execute, fetch, close) and three for
one that does not. Each call is a round trip between the event loop and that thread: a queue put,
a thread wake-up, ``call_soon_threadsafe`` and a loop wake-up (≈ 27 µs of CPU on this machine
for a trivial statement), paid three or four times by every statement. Here a statement is one call that
opens a cursor, executes, fetches everything and closes on the thread, and hands back the rows
with what SQLAlchemy reads of the cursor afterwards (description, rowcount, lastrowid).

The call goes through aiosqlite's own queue of (future, function), as SQLAlchemy's adapter does
for its isolation level. Transactions, errors and every SQLite behaviour are unchanged: the same
sqlite3 connection runs the same statements in the same order; only the hops are fewer.
"""
from __future__ import annotations

import asyncio
import collections
import sqlite3
from dataclasses import dataclass
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import immutabledict
from sqlalchemy.util.concurrency import await_


@dataclass
class Executed:
    """What SQLAlchemy reads of a cursor once its statement ran (PEP 249 attributes; arraysize
    stays settable, as on a cursor)."""

    description: Any
    rowcount: int
    lastrowid: int | None
    arraysize: int = 1

    def close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed on the connection's thread."""


def run_statement(connection: sqlite3.Connection, operation: str, parameters: Any,
                  many: bool) -> tuple[Executed, list]:
    """On the connection's thread: the whole statement, from cursor to close."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return Executed(cursor.description, cursor.rowcount, cursor.lastrowid), rows
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor that opens nothing on the loop side; each execute is one call on the thread."""

    __slots__ = ()
    _awaitable_cursor_close = False  # close() is Executed.close: no call to the thread

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection):
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = cast(Any, Executed(None, -1, None))
        self._soft_closed_memoized = immutabledict()
        self._rows = collections.deque()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._run(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._run(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run(self, operation: str, parameters: Any, *, many: bool) -> None:
        connection = cast(aiosqlite.Connection, self._connection)
        async with self._adapt_connection._execute_mutex:
            future = asyncio.get_running_loop().create_future()
            connection._tx.put_nowait((future, lambda: run_statement(connection._conn, operation, parameters, many)))
            executed, rows = await future
        self._cursor = cast(Any, executed)
        self._rows = collections.deque(rows)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls: type[AsyncAdapt_aiosqlite_cursor] = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI adapter whose connections make :class:`OneHopCursor` cursors."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        connection = self.aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's adapter: a forgotten connection never blocks exit
        return OneHopConnection(self, await_(connection))


def one_hop_dbapi() -> OneHopDBAPI:
    """The ``module`` to give create_async_engine for a ``sqlite+aiosqlite`` URL."""
    return OneHopDBAPI(aiosqlite, sqlite3)
