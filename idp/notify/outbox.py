"""The message outbox: every one-time code's SMS or e-mail is written as a row in the
transaction that creates the code, and sent after it commits, so a slow or failing gateway never
holds the database's writer (SQLite has one) for its timeout.

Delivery is the shared outbox (shared/outbox.py): each attempt first leases its row with one
conditional UPDATE, so two instances never send one message twice. The request that queued a
message delivers it right after its commit (the user gets the code at once,
:func:`deliver_now`); the background loop of every instance retries the rest
(:func:`deliver_due`): after ``IDP_MESSAGE_RETRY_SECONDS``, doubling, at most
``IDP_MESSAGE_MAX_ATTEMPTS`` times, and never once the code has expired.

The rendered text and the template's parameters carry the code: they are kept only while the
message is to be sent and cleared when it is sent or given up (docs/operations.md, "Sending
SMS and e-mail", says why clearing rather than encrypting).
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.notify.models import QueuedMessage
from idp.notify.senders import DevelopmentSink, make_sender
from idp.portal import Portal
from shared.outbox import Columns, Outbox, Result, Retry

log = logging.getLogger(__name__)
LEASE = dt.timedelta(seconds=60)  # longer than a send's timeouts (SMTP, gateway: 10 s)
MAX_RETRY_SECONDS = 120
# A notice (a change of password or contact, a 咨询 answer) is still worth its SMS or e-mail a day
# late; a code is not (its row expires with the code).
NOTICE_LIFETIME = dt.timedelta(days=1)
CLEARED = {"subject": None, "body": None, "params": None}


def queue_message(db: AsyncSession, *, message_id: str, channel: str, recipient: str, subject: str, body: str,
                  expires_at: dt.datetime, kind: str = "notice", params: dict[str, str] | None = None) -> None:
    """Add the message to the outbox, in the caller's transaction (it goes out only if that commits)."""
    now = clock.now()
    db.add(QueuedMessage(id=message_id, channel=channel, recipient=recipient, kind=kind, subject=subject,
                         body=body, params=params, created_at=now, expires_at=expires_at, next_attempt_at=now,
                         attempts=0))


def new_message_id() -> str:
    return uuid.uuid4().hex


def queue_notice(db: AsyncSession, channel: str, recipient: str, subject: str, body: str,
                 message_id: str | None = None) -> str:
    """A notice to one address, in the caller's transaction; returns its id for :func:`deliver_all_now`."""
    message_id = message_id or new_message_id()
    queue_message(db, message_id=message_id, channel=channel, recipient=recipient, subject=subject, body=body,
                  expires_at=clock.now() + NOTICE_LIFETIME)
    return message_id


def _outbox(portal: Portal) -> Outbox:
    settings = portal.settings
    return Outbox(QueuedMessage, read=portal.reader, write=portal.sessionmaker.begin, clock=lambda: clock.now(),
                  lease=LEASE, columns=Columns(abandoned="abandoned_at"), gave_up=_gave_up,
                  retry=Retry(settings.message_retry_seconds, max_seconds=MAX_RETRY_SECONDS,
                              max_attempts=settings.message_max_attempts))


async def _gave_up(db: AsyncSession, row: QueuedMessage, error: str) -> None:
    await db.execute(update(QueuedMessage).where(QueuedMessage.id == row.id).values(CLEARED))
    log.warning("message %s over %s given up after %d attempts: %s", row.id[:8], row.channel, row.attempts, error)


def _sender(portal: Portal):
    async def send(row: QueuedMessage) -> Result:
        if row.expires_at <= clock.now() or row.body is None:
            return Result(error="expired", final=True, values=CLEARED)  # a late code is no use to anyone
        subject, body = row.subject or "", row.body
        sender = DevelopmentSink() if row.channel == "ctid" else make_sender(portal.settings, portal.http)
        if isinstance(sender, DevelopmentSink):  # it stores the message, in the settling transaction
            async def store(db: AsyncSession) -> None:
                await sender.send(db, row.channel, row.recipient, subject, body, kind=row.kind, params=row.params)
            return Result(values=CLEARED, then=store)
        try:
            await sender.send(None, row.channel, row.recipient, subject, body,  # type: ignore[arg-type]
                              kind=row.kind, params=row.params)
        except Exception as exc:  # SMTP, HTTP and gateway errors alike: retried
            log.warning("message %s over %s not sent: %s", row.id[:8], row.channel, type(exc).__name__)
            return Result(error=type(exc).__name__[:200])
        return Result(values=CLEARED)
    return send


async def deliver_now(portal: Portal, message_id: str) -> bool:
    """Send one queued message right after the commit that queued it; True when it went out.
    A failure leaves the row for the background loop's retries."""
    return await _outbox(portal).attempt(message_id, _sender(portal))


async def deliver_all_now(portal: Portal, message_ids: tuple[str, ...]) -> None:
    """:func:`deliver_now` for each; those that fail wait for the background loop's retries."""
    for message_id in message_ids:
        await deliver_now(portal, message_id)


async def deliver_due(portal: Portal) -> int:
    """One attempt at every due message (the background loop). Returns how many were sent."""
    return await _outbox(portal).deliver_due(_sender(portal), concurrently=True)
