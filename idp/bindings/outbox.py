"""The portal's outbox of calls to business systems, and the reconciler of stale bindings.

Any instance runs both from the background loop. A call is claimed with one conditional
UPDATE that leases it (as idp.oidc.logout.backchannel does), so two instances never make the
same call at once; a failed call is retried with back-off, never given up: an unlink must
eventually reach the system, or the two sides would disagree for good.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import select, update

from idp import clock
from idp.bindings import calls, parties, transitions
from idp.bindings.models import Binding, BindingCall
from idp.portal import Portal
from shared.binding import RECONCILE_MARGIN_SECONDS

log = logging.getLogger(__name__)
LEASE = dt.timedelta(seconds=60)
RETRY_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 3600.0


async def reconcile_due(portal: Portal) -> int:
    """Pending bindings past expires_at + margin: ask the system (a status call in the outbox)."""
    now = clock.now()
    cutoff = now - dt.timedelta(seconds=RECONCILE_MARGIN_SECONDS)
    asked = select(BindingCall.binding_id).where(BindingCall.action == "status", BindingCall.done_at.is_(None))
    async with portal.reader() as db:  # most rounds find nothing: no write transaction for them
        stale = (await db.scalars(select(Binding.id).where(
            Binding.state == "pending", Binding.expires_at <= cutoff, Binding.id.not_in(asked)).limit(100))).all()
    if not stale:
        return 0
    async with portal.sessionmaker.begin() as db:
        # Two instances may both ask once: a status question is harmless to repeat.
        for binding_id in stale:
            db.add(BindingCall(binding_id=binding_id, action="status", force=False, created_at=now,
                               next_attempt_at=now, attempts=0))
    return len(stale)


async def deliver_due(portal: Portal) -> int:
    """Make every due call once. Returns how many succeeded."""
    async with portal.reader() as db:
        due = (await db.scalars(select(BindingCall.id).where(
            BindingCall.done_at.is_(None), BindingCall.next_attempt_at <= clock.now(),
        ).order_by(BindingCall.id).limit(100))).all()
    results = await asyncio.gather(*(deliver_one(portal, call_id) for call_id in due))
    return sum(results)


async def deliver_binding(portal: Portal, binding_id: str) -> None:
    """Make the due calls of one binding now, and the call an answer adds (a force-unbind's
    cancel answered "linked" adds its unlink); what fails stays for the loop to retry."""
    for _ in range(2):
        async with portal.reader() as db:
            due = (await db.scalars(select(BindingCall.id).where(
                BindingCall.binding_id == binding_id, BindingCall.done_at.is_(None),
                BindingCall.next_attempt_at <= clock.now()).order_by(BindingCall.id))).all()
        if not due or not all([await deliver_one(portal, call_id) for call_id in due]):
            return


async def _claim(portal: Portal, call_id: int) -> BindingCall | None:
    async with portal.sessionmaker.begin() as db:
        now = clock.now()
        result = await db.execute(
            update(BindingCall)
            .where(BindingCall.id == call_id, BindingCall.next_attempt_at <= now, BindingCall.done_at.is_(None))
            .values(next_attempt_at=now + LEASE, attempts=BindingCall.attempts + 1)
            .returning(BindingCall)
        )
        return result.scalars().first()


async def deliver_one(portal: Portal, call_id: int) -> bool:
    call = await _claim(portal, call_id)
    if call is None:
        return False  # another instance has it, or it is done
    async with portal.reader() as db:
        binding = await db.get(Binding, call.binding_id)
        subject = await parties.subject_of(db, binding)
    error = None
    try:
        client = await portal.client(binding.client_id)
        if client is None:
            raise calls.SystemUnreachable("client disabled")
        outcome = await _perform(portal, client, call, binding, subject)
    except calls.SystemUnreachable as exc:
        error = str(exc)[:200]
    async with portal.sessionmaker.begin() as db:
        now = clock.now()
        values: dict = {"last_error": error}
        if error is None:
            values["done_at"] = now
            await outcome(db)
        else:
            backoff = min(RETRY_SECONDS * (2 ** (call.attempts - 1)), MAX_BACKOFF_SECONDS)
            values["next_attempt_at"] = now + dt.timedelta(seconds=backoff)
        await db.execute(update(BindingCall).where(BindingCall.id == call.id).values(**values))
    if error:
        log.warning("binding %s call to %s failed (%s), attempt %s", call.action, binding.client_id, error,
                    call.attempts)
    return error is None


async def _perform(portal: Portal, client, call: BindingCall, binding: Binding, subject: str):
    """Make the call; return what to write once it is acknowledged (in the same transaction
    that marks the call done)."""
    system = f"system:{client.client_id}"
    if call.action == "cancel" and call.force:  # staff force-unbind of a pending binding
        status = await calls.ask_cancel(portal, client, binding.id, subject)
        by = binding.ended_by or system
        return lambda db: transitions.forced_cancel_answered(db, binding.id, status, reason=call.reason, by=by)
    if call.action in ("status", "cancel"):
        ask = calls.ask_status if call.action == "status" else calls.ask_cancel
        status = await ask(portal, client, binding.id, subject)
        return lambda db: transitions.apply_status(db, binding.id, status, by=system)
    unlinked = await calls.ask_unlink(portal, client, binding.id, subject, force=call.force, reason=call.reason)
    if not unlinked.removed:
        return lambda db: transitions.unbind_refused(db, binding.id)
    return lambda db: transitions.finish_unbind(db, binding.id, binding.ended_by or f"account:{subject}")
