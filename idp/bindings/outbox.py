"""The portal's outbox of calls to business systems, and the reconciler of stale bindings.

Any instance runs both from the background loop. The calls are a shared.outbox: a call is
claimed with one conditional UPDATE that leases it, so two instances never make the same call
at once; a failed call is retried with back-off, never given up: an unlink must eventually
reach the system, or the two sides would disagree for good.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from idp import clock
from idp.bindings import calls, parties, transitions
from idp.bindings.models import Binding, BindingCall
from idp.metrics import BINDING_CALL_FAILURES
from idp.portal import Portal
from shared.binding import RECONCILE_MARGIN_SECONDS
from shared.outbox import Columns, Outbox, Result, Retry

log = logging.getLogger(__name__)
LEASE = dt.timedelta(seconds=60)
RETRY_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 3600.0
COLUMNS = Columns(done="done_at")  # the lease is next_attempt_at itself


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


def _outbox(portal: Portal) -> Outbox:
    """binding_calls as a shared outbox: the due time is the lease; retried for ever."""
    return Outbox(BindingCall, read=portal.reader, write=portal.sessionmaker.begin, clock=lambda: clock.now(),
                  lease=LEASE, retry=Retry(RETRY_SECONDS, MAX_BACKOFF_SECONDS), columns=COLUMNS)


async def deliver_due(portal: Portal) -> int:
    """Make every due call once. Returns how many succeeded."""
    return await _outbox(portal).deliver_due(_caller(portal), concurrently=True)


async def deliver_binding(portal: Portal, binding_id: str) -> None:
    """Make the due calls of one binding now, and the call an answer adds (a force-unbind's
    cancel answered "linked" adds its unlink); what fails stays for the loop to retry."""
    outbox = _outbox(portal)
    for _ in range(2):
        due = await outbox.due_ids(BindingCall.binding_id == binding_id, limit=None)
        if not due or not all([await deliver_one(portal, call_id) for call_id in due]):
            return


async def deliver_one(portal: Portal, call_id: int) -> bool:
    return await _outbox(portal).attempt(call_id, _caller(portal))


def _caller(portal: Portal):
    async def make_call(call: BindingCall) -> Result:
        """One attempt at the call; what the answer changes is written when it is settled."""
        async with portal.reader() as db:
            binding = await db.get_one(Binding, call.binding_id)
            subject = await parties.subject_of(db, binding)
        try:
            client = await portal.client(binding.client_id)
            if client is None:
                raise calls.SystemUnreachable("client disabled")
            return Result(then=await _perform(portal, client, call, binding, subject))
        except calls.SystemUnreachable as exc:
            BINDING_CALL_FAILURES.inc()
            log.warning("binding %s call to %s failed (%s), attempt %s", call.action, binding.client_id,
                        str(exc)[:200], call.attempts)
            return Result(error=str(exc)[:200])
    return make_call


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
