"""One outbox: rows of deliveries that must eventually happen, each tried until it is settled.

The portal's calls to business systems and its back-channel logout tokens, the systems' calls to
the portal and the UDI system's review notices all work the same way (the transactional outbox
pattern): the row is written in the transaction of the change it reports, and any instance then
delivers the due rows. This module is that delivery, once, parameterized by each outbox's table
(:class:`Columns` maps the names it gives the outbox's state) and a ``deliver`` callable.

- **Lease**: an attempt first claims its row with one conditional UPDATE (due, not settled, not
  leased; ``attempts + 1``, a lease until ``now + lease``), so two instances never deliver one row
  at the same time; whoever's UPDATE matched nothing leaves the row alone. The lease is either the
  due time itself (``lease == due``: the claim moves the next attempt past the lease) or a column
  of its own. An attempt that dies (a crash, a lost connection) is retried once the lease runs out.
- **Retry**: a failed attempt is due again after a doubling back-off (:class:`Retry`), capped if
  the outbox says so; without a retry schedule it waits for its lease to run out.
- **Give up**: after ``max_attempts`` failed attempts, if the outbox has a limit, the row is
  abandoned; ``gave_up`` writes what that means (an audit record) in the same transaction.
- **Settle**: a delivered row (or one answered for good: ``Result.final``) is marked done, with
  what the delivery says must change (``Result.then``) in the same transaction.

Nothing here knows HTTP or either application: mock_systems may not import idp, so this lives
in shared/.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Result as Rows, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


@dataclass(frozen=True)
class Columns:
    """Where a table keeps the outbox's state (column names)."""

    done: str = "delivered_at"  # when it was delivered, or answered for good
    lease: str = "next_attempt_at"  # claimed until
    due: str | None = "next_attempt_at"  # when the next attempt is due; None: whenever no lease holds it
    abandoned: str | None = None  # when it was given up; None: never given up
    error: str | None = "last_error"  # the last attempt's error; None: not kept
    attempts: str = "attempts"
    id: str = "id"


@dataclass(frozen=True)
class Retry:
    """When a failed attempt is tried again: ``first_seconds`` after the first failure, doubling
    with each one, at most ``max_seconds``; abandoned after ``max_attempts`` (None: never)."""

    first_seconds: float
    max_seconds: float | None = None
    max_attempts: int | None = None

    def delay(self, attempts: int) -> dt.timedelta:
        seconds = self.first_seconds * 2 ** max(attempts - 1, 0)
        if self.max_seconds is not None:
            seconds = min(seconds, self.max_seconds)
        return dt.timedelta(seconds=seconds)

    def exhausted(self, attempts: int) -> bool:
        return self.max_attempts is not None and attempts >= self.max_attempts


@dataclass(frozen=True)
class Result:
    """What one attempt came to. ``error`` None: delivered. ``final``: failed, but retrying
    cannot change the answer, so the row is settled anyway. ``values``: more columns to write
    when it is settled; ``then``: what else the settling transaction writes."""

    error: str | None = None
    final: bool = False
    values: Mapping[str, Any] = field(default_factory=dict)
    then: Callable[[AsyncSession], Awaitable[Any]] | None = None

    @property
    def settled(self) -> bool:
        return self.error is None or self.final


Deliver = Callable[[Any], Awaitable[Result]]
RowId = int | str  # an autoincrement, or a token (the message outbox keys a code's message by the code's id)
GaveUp = Callable[[AsyncSession, Any, str], Any]


@dataclass(frozen=True)
class Outbox:
    """One outbox table, read through ``read`` and written through ``write`` (session factories:
    ``write()`` opens a transaction), on ``clock``'s time."""

    model: type
    read: Sessions
    write: Sessions
    clock: Callable[[], dt.datetime]
    lease: dt.timedelta
    retry: Retry | None = None
    columns: Columns = Columns()
    gave_up: GaveUp | None = None  # writes what abandoning a row means, in the same transaction

    def _column(self, name: str):
        return getattr(self.model, name)

    def _open(self) -> list[ColumnElement[bool]]:
        names = [self.columns.done] + ([self.columns.abandoned] if self.columns.abandoned else [])
        return [self._column(name).is_(None) for name in names]

    def _due(self, now: dt.datetime) -> list[ColumnElement[bool]]:
        conditions = self._open()
        if self.columns.due is not None:
            conditions.append(self._column(self.columns.due) <= now)
        if self.columns.lease != self.columns.due:
            lease = self._column(self.columns.lease)
            conditions.append(or_(lease.is_(None), lease <= now))
        return conditions

    async def due_ids(self, *where: ColumnElement[bool], now: dt.datetime | None = None,
                      limit: int | None = 100) -> Sequence[Any]:
        """The ids of the rows due at ``now``, oldest first (and matching ``where``)."""
        row_id = self._column(self.columns.id)
        query = select(row_id).where(*self._due(now or self.clock()), *where).order_by(row_id)
        if limit is not None:
            query = query.limit(limit)
        async with self.read() as db:
            return (await db.scalars(query)).all()

    async def claim(self, row_id: RowId, now: dt.datetime) -> Any | None:
        """Lease the row for one attempt (one conditional UPDATE); None when it is not due,
        settled, or leased by another deliverer."""
        attempts = self._column(self.columns.attempts)
        async with self.write() as db:
            claimed: Rows[Any] = await db.execute(
                update(self.model)
                .where(self._column(self.columns.id) == row_id, *self._due(now))
                .values({self.columns.lease: now + self.lease, self.columns.attempts: attempts + 1})
                .returning(self.model))
            return claimed.scalars().first()

    async def attempt(self, row_id: RowId, deliver: Deliver, *, now: dt.datetime | None = None) -> bool:
        """Claim the row, deliver it and write what came of it; True when it was delivered.
        The retry counts from ``now`` when the caller gives one (a test letting time pass),
        else from the moment the attempt failed."""
        row = await self.claim(row_id, now or self.clock())
        if row is None:
            return False  # another instance has it, or it is not due any more
        result = await deliver(row)
        values = self._outcome(row, result, now)
        if values is None:
            return False  # tried again when the lease runs out
        async with self.write() as db:
            if result.then is not None:
                await result.then(db)
            if self.gave_up is not None and self.columns.abandoned and values.get(self.columns.abandoned):
                await _maybe_await(self.gave_up(db, row, result.error or ""))  # abandoned only after a failure
            await db.execute(update(self.model).where(self._column(self.columns.id) == row_id).values(values))
        return result.error is None

    def _outcome(self, row, result: Result, now: dt.datetime | None) -> dict[str, Any] | None:
        """The columns this attempt's result writes; None: nothing (the lease runs out)."""
        separate_lease = self.columns.lease != self.columns.due
        values: dict[str, Any] = {self.columns.error: result.error} if self.columns.error else {}
        if result.settled:
            values.update({self.columns.done: self.clock(), **result.values})
            if separate_lease:
                values[self.columns.lease] = None
            return values
        attempts = getattr(row, self.columns.attempts)
        if self.retry is None:
            return values or None
        if self.columns.abandoned and self.retry.exhausted(attempts):
            values[self.columns.abandoned] = self.clock()
            return values
        if separate_lease:
            values[self.columns.lease] = None
        values[self.columns.due or self.columns.lease] = (now or self.clock()) + self.retry.delay(attempts)
        return values

    async def deliver_due(self, deliver: Deliver, *where: ColumnElement[bool], now: dt.datetime | None = None,
                          limit: int | None = 100, concurrently: bool = False) -> int:
        """One attempt at every due row (one after another, or all at once); how many were delivered."""
        due = await self.due_ids(*where, now=now, limit=limit)
        if concurrently:
            return sum(await asyncio.gather(*(self.attempt(row_id, deliver, now=now) for row_id in due)))
        return sum([await self.attempt(row_id, deliver, now=now) for row_id in due])


async def _maybe_await(value) -> None:
    if asyncio.iscoroutine(value):
        await value
