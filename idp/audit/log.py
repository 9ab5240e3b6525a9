"""Recording security events. Callers add the event to their own transaction, so an event
is stored exactly when the change it describes is: the session's (:func:`record`,
:func:`record_now`) or a group commit's (:func:`record_with`, with the rows it describes)."""
from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.audit.models import AuditEvent
from idp.db.group_commit import Rows
from idp.metrics import count_when_committed, counter_for

# Built once; the hot paths (token issuance) write the event with it instead of an ORM object.
INSERT_EVENT = insert(cast(Table, AuditEvent.__table__))


def event_row(
    event: str,
    *,
    outcome: str = "success",
    actor: str | None = None,
    client_id: str | None = None,
    source_ip: str | None = None,
    subject: str | None = None,
    **details,
) -> dict:
    """The audit_events row of one event. ``subject``: whom the event concerns when that is not
    the actor (staff acting on an account, a system confirming a binding); it defaults to the
    actor, a user acting for itself. Details that are None are left out."""
    return {
        "at": clock.now(),
        "event": event,
        "outcome": outcome,
        # Values can come from the request (a presented client_id): never overflow the columns.
        "actor": _bounded(actor, 128),
        "subject": _bounded(subject if subject is not None else actor, 128),
        "client_id": _bounded(client_id, 64),
        "source_ip": _bounded(source_ip, 64),
        "details": {k: v for k, v in details.items() if v is not None},
    }


def record(db: AsyncSession, event: str, **fields) -> None:
    """The event (:func:`event_row`'s fields) as an ORM object in the caller's session."""
    row = event_row(event, **fields)
    db.add(AuditEvent(**row))
    count_when_committed(db, event, row["details"])  # logins, tokens, replays: idp/metrics.py


async def record_now(db: AsyncSession, event: str, **fields) -> None:
    """:func:`record` as one Core INSERT in the caller's transaction, executed at once: no ORM
    object and no unit of work (which cost a token response about a quarter of its Python time)."""
    row = event_row(event, **fields)
    connection = await db.connection()
    await connection.execute(INSERT_EVENT, row)
    count_when_committed(db, event, row["details"])


def record_with(rows: Rows, event: str, **fields) -> None:
    """:func:`record` as one more row of a group commit (idp.db.group_commit): written in the
    transaction that writes the tokens it describes, counted once that commits."""
    row = event_row(event, **fields)
    rows.add(INSERT_EVENT, row)
    counter = counter_for(event, row["details"])
    if counter is not None:
        rows.on_commit.append(counter.inc)


def _bounded(value: str | None, length: int) -> str | None:
    """Printable and within the column: control characters (a NUL breaks PostgreSQL) are escaped."""
    if value is None:
        return None
    if value.isprintable():  # nearly always: no character to look at one by one
        return value[:length]
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in value)[:length]
