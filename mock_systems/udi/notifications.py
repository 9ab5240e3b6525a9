"""Telling the contact the review result (通过邮件或短信的方式告知审核结果), through an outbox.

A decision writes its :class:`Notification` in the review's own transaction (``enqueue_result``:
one per submission, the unique index makes sure); ``deliver_due`` then hands due rows to the
system's sender, right after the review and again from the app's background loop, so a crash
between the commit and the sending loses nothing. The table is a shared.outbox: a row is claimed
by a conditional UPDATE (``claimed_until``), so two instances never send the same message twice
at once.

The contact is not always the portal user, so when the account is linked to one (it was created
by binding) the result is owed to the portal too: a :class:`PortalNotice` beside the
Notification, posted to the portal's PORTAL_NOTICES (a note in the user's 我的消息) by
``deliver_portal_notices``, with the same lease; an answer 404 (no longer bound) settles it.

The sender (senders.py) is the dev sink in development — the row, marked sent by it, is the
record, and the dev-only page /dev/messages shows it — or SMTP and an SMS gateway.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.models import PortalLink
from mock_systems.common.portal_client import PortalError
from mock_systems.common.settings import MissingClientSecret
from mock_systems.udi.models import Notification, PortalNotice, Registration, RegistrationState
from mock_systems.udi.senders import UdiSettings, make_sender
from shared.messages import text
from shared.outbox import Columns, Outbox, Result

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
    subject = await db.scalar(select(PortalLink.portal_subject).where(PortalLink.local_account_id
                                                                      == registration.account_id))
    if subject is not None:  # linked to a portal user (the account was created by binding): 我的消息 too
        db.add(PortalNotice(registration_id=registration.id, submission=registration.submission,
                            portal_subject=subject, title=text("udi.portal_notice_title",
                                                               result=registration.state.label),
                            body=body, created_at=utcnow()))
    await db.flush()
    return notification


# Leased in claimed_until and due whenever no lease holds it; a failed send keeps its lease and is
# tried again when that runs out (no back-off schedule, nothing else written).
COLUMNS = Columns(lease="claimed_until", due=None, error=None)
PORTAL_COLUMNS = Columns(lease="claimed_until", due=None, error="last_error")
# The portal knows no such bound user any more (the link was undone meanwhile): nothing to retry.
GONE = 404


async def deliver_due(system: SystemContext, sender=None) -> int:
    """Send what is due and unclaimed (by the configured sender unless ``sender`` is given);
    returns how many were sent."""
    sender = sender or make_sender(UdiSettings(), system.http)
    outbox = Outbox(Notification, read=system.sessionmaker, write=system.sessionmaker.begin, clock=utcnow,
                    lease=dt.timedelta(seconds=system.settings.outbox_lease_seconds), columns=COLUMNS)

    async def send(notification: Notification) -> Result:
        try:
            await sender.send(notification)
        except Exception as exc:  # noqa: BLE001 (any sender failure: the lease runs out, and it is tried again)
            log.exception("udi notification %s not sent", notification.id)
            return Result(error=exc.__class__.__name__)
        return Result(values={"sent_by": sender.name})

    return await outbox.deliver_due(send, limit=BATCH)


async def deliver_portal_notices(system: SystemContext) -> int:
    """POST the due review results to the portal (PORTAL_NOTICES) with our client credentials;
    returns how many the portal took."""
    outbox = Outbox(PortalNotice, read=system.sessionmaker, write=system.sessionmaker.begin, clock=utcnow,
                    lease=dt.timedelta(seconds=system.settings.outbox_lease_seconds), columns=PORTAL_COLUMNS)

    async def post(notice: PortalNotice) -> Result:
        try:
            response = await system.portal.post_notice(notice.portal_subject, notice.title, notice.body)
        except (PortalError, MissingClientSecret) as exc:
            return Result(error=str(exc)[:200])
        if response.status_code < 300:
            return Result()
        log.warning("udi portal notice %s answered HTTP %d", notice.id, response.status_code)
        return Result(error=f"HTTP {response.status_code}", final=response.status_code == GONE)

    return await outbox.deliver_due(post, limit=BATCH)


async def run_notifications(system: SystemContext) -> None:
    """The background loop: deliver what is due every OUTBOX_POLL_SECONDS."""
    while True:
        try:
            await deliver_due(system)
            await deliver_portal_notices(system)
        except Exception:  # noqa: BLE001 (a database hiccup must not end the loop)
            log.exception("udi notification loop")
        await asyncio.sleep(system.settings.outbox_poll_seconds)
