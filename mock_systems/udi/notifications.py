"""Telling the contact the review result (通过邮件或短信的方式告知审核结果), through an outbox.

A decision writes its :class:`Notification` in the review's own transaction (``enqueue_result``:
one per submission, the unique index makes sure); ``deliver_due`` then hands due rows to the
system's sender, right after the review and again from the app's background loop, so a crash
between the commit and the sending loses nothing. A row is claimed by a conditional UPDATE
(``claimed_until``), so two instances never send the same message twice at once.

The sender (senders.py) is the dev sink in development — the row, marked sent by it, is the
record, and the dev-only page /dev/messages shows it — or SMTP and an SMS gateway.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.messages import text
from mock_systems.udi.models import Notification, Registration, RegistrationState
from mock_systems.udi.senders import UdiSettings, make_sender

log = logging.getLogger(__name__)
BATCH = 20


async def enqueue_result(db: AsyncSession, registration: Registration) -> Notification:
    """The message telling the contact this decision: by e-mail when the contact gave one, else SMS."""
    approved = registration.state is RegistrationState.approved
    key = "udi.notice_approved" if approved else "udi.notice_rejected"
    body = text(key, organisation=registration.organisation_name, reason=registration.reject_reason or "")
    email = bool(registration.contact_email)
    notification = Notification(
        registration_id=registration.id, submission=registration.submission, channel="email" if email else "sms",
        recipient=registration.contact_email if email else registration.contact_phone,
        subject=text("udi.notice_subject", result=registration.state.label), body=body, created_at=utcnow())
    db.add(notification)
    await db.flush()
    return notification


async def _claim(system: SystemContext, notification_id: int, lease_seconds: float) -> bool:
    now = utcnow()
    async with system.sessionmaker.begin() as db:
        result = await db.execute(
            update(Notification).where(Notification.id == notification_id, Notification.delivered_at.is_(None),
                                       or_(Notification.claimed_until.is_(None), Notification.claimed_until < now))
            .values(claimed_until=now + dt.timedelta(seconds=lease_seconds), attempts=Notification.attempts + 1))
        return result.rowcount == 1


async def deliver_due(system: SystemContext, sender=None) -> int:
    """Send what is due and unclaimed (by the configured sender unless ``sender`` is given);
    returns how many were sent."""
    sender = sender or make_sender(UdiSettings(), system.http)
    lease = system.settings.outbox_lease_seconds
    async with system.sessionmaker() as db:
        now = utcnow()
        due = list((await db.scalars(select(Notification.id).where(
            Notification.delivered_at.is_(None),
            or_(Notification.claimed_until.is_(None), Notification.claimed_until < now))
            .order_by(Notification.id).limit(BATCH))).all())
    sent = 0
    for notification_id in due:
        if not await _claim(system, notification_id, lease):
            continue  # another instance took it
        async with system.sessionmaker() as db:
            notification = await db.get(Notification, notification_id)
        try:
            await sender.send(notification)
        except Exception:  # noqa: BLE001 (any sender failure: the lease runs out, and it is tried again)
            log.exception("udi notification %s not sent", notification_id)
            continue
        async with system.sessionmaker.begin() as db:
            await db.execute(update(Notification).where(Notification.id == notification_id)
                             .values(delivered_at=utcnow(), sent_by=sender.name, claimed_until=None))
        sent += 1
    return sent


async def run_notifications(system: SystemContext) -> None:
    """The background loop: deliver what is due every OUTBOX_POLL_SECONDS."""
    while True:
        try:
            await deliver_due(system)
        except Exception:  # noqa: BLE001 (a database hiccup must not end the loop)
            log.exception("udi notification loop")
        await asyncio.sleep(system.settings.outbox_poll_seconds)
