"""The outbox of calls this system owes the portal: confirm, refused and ended
(docs/binding-protocol.md, "Every call that must eventually happen sits in an outbox row").

A call is written in the same transaction as the change it reports (:func:`enqueue`), tried at
once after the commit (:func:`deliver`), and otherwise by the background loop
(:func:`run_outbox`) with a doubling back-off until the portal acknowledges it (a shared.outbox).
A deliverer claims a row with one conditional UPDATE (``claimed_until``), so several instances of a system
can run the loop without delivering a call twice at the same moment; the portal is idempotent
per binding id anyway.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging

from prometheus_client import Counter
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.models import BindingOutcome, BindingRecord, OutboxMessage, PortalLink
from mock_systems.common.portal_client import PortalError
from mock_systems.common.settings import MissingClientSecret
from shared.binding import PORTAL_CONFIRM, PORTAL_ENDED, PORTAL_REFUSED
from shared.outbox import Columns, Outbox, Result, Retry

log = logging.getLogger(__name__)
PATHS = {"confirm": PORTAL_CONFIRM, "refused": PORTAL_REFUSED, "ended": PORTAL_ENDED}
# Answers that retrying cannot change: the portal does not know the binding (404), or holds it in
# a state that contradicts the call (409; for a confirm, it failed the binding first). Anything
# else (5xx, 401 while a rotated secret is not yet deployed, no answer) is retried.
FINAL_STATUSES = {404, 409}


async def enqueue(db: AsyncSession, issuer: str, binding_id: str, action: str, body: dict) -> OutboxMessage:
    """Owe the provider ``issuer`` this call; the caller commits it with the change it reports."""
    now = utcnow()
    row = OutboxMessage(issuer=issuer, binding_id=binding_id, action=action, body=body, attempts=0, next_attempt_at=now,
                        created_at=now)
    db.add(row)
    await db.flush()
    return row


OUTBOX_FAILURES = Counter("system_binding_outbox_failures_total",
                          "Attempts at a binding call to the portal that failed (retried)")
COLUMNS = Columns(lease="claimed_until")  # due at next_attempt_at, leased in a column of its own


def _outbox(system: SystemContext) -> Outbox:
    settings = system.settings
    sessions = system.sessionmaker
    return Outbox(OutboxMessage, read=sessions, write=sessions.begin, clock=utcnow,
                  lease=dt.timedelta(seconds=settings.outbox_lease_seconds),
                  retry=Retry(settings.outbox_backoff_seconds, settings.outbox_backoff_max_seconds), columns=COLUMNS)


def _caller(system: SystemContext):
    async def call(message: OutboxMessage) -> Result:
        """One call to the portal; a confirm answered for good (404, 409) undoes our link."""
        try:
            response = await system.portal.post_binding(PATHS[message.action], message.binding_id, message.body)
            error = None if response.status_code < 300 else f"HTTP {response.status_code}"
            final = response.status_code in FINAL_STATUSES
        except (PortalError, MissingClientSecret) as exc:
            error, final = str(exc)[:200], False
        if error is not None:
            OUTBOX_FAILURES.inc()
            log.warning("%s: %s of binding %s %s (attempt %d): %s", system.profile.client_id, message.action,
                        message.binding_id, "answered for good" if final else "not delivered", message.attempts,
                        error)
        undo = final and message.action == "confirm"  # the portal gave the binding up first
        return Result(error=error, final=final, then=(lambda db: _undo_link(db, message.binding_id)) if undo else None)
    return call


async def deliver(system: SystemContext, message_id: int, *, now: dt.datetime | None = None) -> bool:
    """One attempt at one call; True when the portal acknowledged it."""
    return await _outbox(system).attempt(message_id, _caller(system), now=now)


async def _undo_link(db: AsyncSession, binding_id: str) -> None:
    """docs/binding-protocol.md: a confirm the portal answers 409 (it already failed the binding),
    or 404 (it knows no such binding), removes the link that binding made; the binding id stays
    settled (ended), so it never links again."""
    await db.execute(delete(PortalLink).where(PortalLink.binding_id == binding_id))
    await db.execute(update(BindingRecord).where(BindingRecord.binding_id == binding_id)
                     .values(outcome=BindingOutcome.ended))


async def deliver_due(system: SystemContext, *, now: dt.datetime | None = None,
                      binding_id: str | None = None) -> int:
    """Try every call that is due to this context's provider (of one binding, if given); returns
    how many the portal acknowledged."""
    where = [OutboxMessage.issuer == system.settings.issuer]
    if binding_id is not None:
        where.append(OutboxMessage.binding_id == binding_id)
    return await _outbox(system).deliver_due(_caller(system), *where, now=now)


async def run_outbox(system: SystemContext) -> None:
    """The background loop of the system's app: due calls every ``outbox_poll_seconds``."""
    while True:
        try:
            await deliver_due(system)
        except asyncio.CancelledError:
            raise
        except Exception:  # a database hiccup must not stop the loop for good
            log.exception("%s: binding outbox round failed", system.profile.client_id)
        await asyncio.sleep(system.settings.outbox_poll_seconds)
