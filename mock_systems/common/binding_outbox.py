"""The outbox of calls this system owes the portal: confirm, refused and ended
(docs/binding-protocol.md, "Every call that must eventually happen sits in an outbox row").

A call is written in the same transaction as the change it reports (:func:`enqueue`), tried at
once after the commit (:func:`deliver`), and otherwise by the background loop
(:func:`run_outbox`) with a doubling back-off until the portal acknowledges it. A deliverer
claims a row with one conditional UPDATE (``claimed_until``), so several instances of a system
can run the loop without delivering a call twice at the same moment; the portal is idempotent
per binding id anyway.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.models import BindingOutcome, BindingRecord, OutboxMessage, PortalLink
from mock_systems.common.portal_client import PortalError
from mock_systems.common.settings import MissingClientSecret
from shared.binding import PORTAL_CONFIRM, PORTAL_ENDED, PORTAL_REFUSED

log = logging.getLogger(__name__)
PATHS = {"confirm": PORTAL_CONFIRM, "refused": PORTAL_REFUSED, "ended": PORTAL_ENDED}
# Answers that retrying cannot change: the portal does not know the binding (404), or holds it in
# a state that contradicts the call (409; for a confirm, it failed the binding first). Anything
# else (5xx, 401 while a rotated secret is not yet deployed, no answer) is retried.
FINAL_STATUSES = {404, 409}


async def enqueue(db: AsyncSession, binding_id: str, action: str, body: dict) -> OutboxMessage:
    """Owe the portal this call; the caller commits it with the change it reports."""
    now = utcnow()
    row = OutboxMessage(binding_id=binding_id, action=action, body=body, attempts=0, next_attempt_at=now,
                        created_at=now)
    db.add(row)
    await db.flush()
    return row


def backoff(system: SystemContext, attempts: int) -> dt.timedelta:
    settings = system.settings
    return dt.timedelta(seconds=min(settings.outbox_backoff_seconds * 2 ** max(attempts - 1, 0),
                                    settings.outbox_backoff_max_seconds))


async def _claim(system: SystemContext, message_id: int, now: dt.datetime) -> OutboxMessage | None:
    """Take the row for one attempt, unless delivered, not yet due, or claimed by another."""
    lease = now + dt.timedelta(seconds=system.settings.outbox_lease_seconds)
    async with system.sessionmaker.begin() as db:
        result = await db.execute(
            update(OutboxMessage).where(
                OutboxMessage.id == message_id, OutboxMessage.delivered_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now))
            .values(claimed_until=lease, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage))
        return result.scalars().first()


async def deliver(system: SystemContext, message_id: int, *, now: dt.datetime | None = None) -> bool:
    """One attempt at one call; True when the portal acknowledged it."""
    now = now or utcnow()
    message = await _claim(system, message_id, now)
    if message is None:
        return False
    try:
        response = await system.portal.post_binding(PATHS[message.action], message.binding_id, message.body)
        error = None if response.status_code < 300 else f"HTTP {response.status_code}"
        final = response.status_code in FINAL_STATUSES
    except (PortalError, MissingClientSecret) as exc:
        error, final = str(exc)[:200], False
    async with system.sessionmaker.begin() as db:
        if final and message.action == "confirm":  # the portal gave the binding up first: undo our link
            await _undo_link(db, message.binding_id)
        if error is None or final:
            values = {"delivered_at": utcnow(), "claimed_until": None, "last_error": error}
        else:
            values = {"claimed_until": None, "last_error": error,
                      "next_attempt_at": now + backoff(system, message.attempts)}
        await db.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(**values))
    if error is not None:
        log.warning("%s: %s of binding %s %s (attempt %d): %s", system.profile.client_id, message.action,
                    message.binding_id, "answered for good" if final else "not delivered", message.attempts, error)
    return error is None


async def _undo_link(db: AsyncSession, binding_id: str) -> None:
    """docs/binding-protocol.md: a confirm the portal answers 409 (it already failed the binding),
    or 404 (it knows no such binding), removes the link that binding made; the binding id stays
    settled (ended), so it never links again."""
    await db.execute(delete(PortalLink).where(PortalLink.binding_id == binding_id))
    await db.execute(update(BindingRecord).where(BindingRecord.binding_id == binding_id)
                     .values(outcome=BindingOutcome.ended))


async def deliver_due(system: SystemContext, *, now: dt.datetime | None = None,
                      binding_id: str | None = None) -> int:
    """Try every call that is due (of one binding, if given); returns how many the portal
    acknowledged."""
    now = now or utcnow()
    query = select(OutboxMessage.id).where(OutboxMessage.delivered_at.is_(None), OutboxMessage.next_attempt_at <= now)
    if binding_id is not None:
        query = query.where(OutboxMessage.binding_id == binding_id)
    async with system.sessionmaker() as db:
        due = (await db.scalars(query.order_by(OutboxMessage.id).limit(100))).all()
    delivered = 0
    for message_id in due:
        delivered += await deliver(system, message_id, now=now)
    return delivered


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
