"""The binding's state changes (docs/binding-protocol.md, "States on the portal").

One function per transition; each checks the state it expects in one conditional UPDATE, so
two requests racing (a confirm and the reconciler, two browser tabs) cannot both win. The slot
is reserved by the INSERT of the pending row: the unique index (account_id, slot) is the only
arbiter of "already bound", on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import Account
from idp.accounts.service import subject_of
from idp.audit.log import record
from idp.bindings import calls, eligibility
from idp.bindings.models import Binding, BindingCall
from idp.clients.registry import ClientInfo
from idp.errors import DomainError
from idp.inbox.notes import note_agent_authorized, note_force_unbound
from idp.portal import Portal
from idp.principals.principal import Principal
from idp.security.tokens import new_token
from shared.binding import INTENT_SECONDS, KIND_OF_MODE, RECONCILE_MARGIN_SECONDS

LIVE = ("pending", "active", "unbinding")


class Conflict(Exception):
    """The binding is not in a state that allows this (the API answers 409)."""

    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


def slot_of(client: ClientInfo, agency_id: int | None = None) -> str:
    """The slot a binding takes: per system, or the ``binding_slot`` the catalogue gives systems
    that exclude each other (分类界定 ⟂ 药械组合); for an agent, per enterprise."""
    slot = client.binding_slot or client.client_id
    return slot if agency_id is None else f"{slot}@{agency_id}"


def same_capacity(agency_id: int | None):
    """The filter for bindings held in the account's own name, or for one agency."""
    return Binding.agency_id.is_(None) if agency_id is None else Binding.agency_id == agency_id


def _ended(now: dt.datetime, reason: str, by: str) -> dict:
    return {"slot": None, "ended_at": now, "ended_reason": reason[:500], "ended_by": by[:128]}


async def _about(db: AsyncSession, binding_id: str) -> dict:
    """What an audit event of a binding names: its system and the subject of its account."""
    row = (await db.execute(select(Binding.client_id, Account.subject).join(Account, Account.id == Binding.account_id)
                            .where(Binding.id == binding_id))).first()
    return {"client_id": row.client_id, "subject": row.subject} if row is not None else {}


async def _change(db: AsyncSession, binding_id: str, expected: tuple[str, ...], *also, **values) -> bool:
    result = await db.execute(update(Binding).where(Binding.id == binding_id, Binding.state.in_(expected), *also)
                              .values(**values))
    return cast(CursorResult, result).rowcount == 1


async def _insert_pending(portal: Portal, principal: Principal, client: ClientInfo, mode: str,
                          actor: Account, source_ip: str | None) -> str | None:
    """INSERT the pending row; None when the slot is taken."""
    now = clock.now()
    binding_id = new_token()
    try:
        async with portal.sessionmaker.begin() as db:
            db.add(Binding(id=binding_id, account_id=principal.account.id, agency_id=principal.agency_id,
                           actor_account_id=actor.id if actor.id != principal.account.id else None,
                           client_id=client.client_id, slot=slot_of(client, principal.agency_id),
                           mode=mode, state="pending", created_at=now,
                           expires_at=now + dt.timedelta(seconds=INTENT_SECONDS)))
            await db.flush()
            agency_subject = principal.subject if principal.is_agent else None
            record(db, "binding.started", actor=actor.subject, client_id=client.client_id, source_ip=source_ip,
                   binding_id=binding_id, mode=mode, subject=principal.account.subject, agency_subject=agency_subject)
            if actor.id != principal.account.id:  # the legal person authorizes a system for its agent
                record(db, "agent.binding_authorized", actor=actor.subject, client_id=client.client_id,
                       source_ip=source_ip, binding_id=binding_id, mode=mode, subject=principal.account.subject,
                       agency_subject=agency_subject)
    except IntegrityError:
        return None
    return binding_id


async def _holder(portal: Portal, principal: Principal, client: ClientInfo) -> Binding | None:
    async with portal.reader() as db:
        return await db.scalar(select(Binding).where(
            Binding.account_id == principal.account.id, Binding.slot == slot_of(client, principal.agency_id)))


async def start_binding(portal: Portal, principal: Principal, client: ClientInfo, mode: str,
                        actor: Account | None = None, *, source_ip: str | None = None) -> str:
    """授权绑定: reserve the slot with a pending binding and return its id. ``actor`` is the
    legal person when it binds a system for its agent (``principal`` is then the agent's)."""
    if mode not in KIND_OF_MODE or not client.binding_start_uri:
        raise DomainError("binding.not_bindable")
    if (refused := eligibility.refusal(principal, client)) is not None:
        raise DomainError(refused, system=client.display_name)
    if principal.is_agent and mode not in client.agent_binding_modes:
        raise DomainError("binding.agent_mode_refused", system=client.display_name)
    if mode not in client.binding_modes:
        raise DomainError("binding.mode_refused", system=client.display_name)
    actor = actor or principal.account
    for _ in range(3):  # the holder may end between our INSERT and our look at it
        binding_id = await _insert_pending(portal, principal, client, mode, actor, source_ip)
        if binding_id is not None:
            return binding_id
        holder = await _holder(portal, principal, client)
        if holder is None:
            continue
        if holder.client_id != client.client_id:
            other = await portal.client(holder.client_id)
            raise DomainError("binding.excluded", system=other.display_name if other else holder.client_id,
                              other=client.display_name)
        if holder.state != "pending":
            raise DomainError("binding.already_bound", system=client.display_name)
        await _cancel_abandoned(portal, principal, client, holder)
    raise DomainError("binding.already_bound", system=client.display_name)


async def _cancel_abandoned(portal: Portal, principal: Principal, client: ClientInfo, holder: Binding) -> None:
    """A user who comes back before the expiry starts afresh: the system first cancels the
    old binding (a tombstone refuses its late commit) or tells us it is in fact linked."""
    try:
        status = await calls.ask_cancel(portal, client, holder.id, principal.subject)
    except calls.SystemUnreachable:
        wait = (holder.expires_at - clock.now()).total_seconds() + RECONCILE_MARGIN_SECONDS
        raise DomainError("binding.pending_unreachable", system=client.display_name,
                          minutes=max(1, math.ceil(wait / 60))) from None
    async with portal.sessionmaker.begin() as db:
        await apply_status(db, holder.id, status, by=f"system:{client.client_id}")
    if status.status == "linked":
        raise DomainError("binding.already_bound", system=client.display_name)


async def apply_status(db: AsyncSession, binding_id: str, status: calls.Status, *, by: str) -> None:
    """The system's word about a pending binding: linked → active, otherwise failed."""
    now = clock.now()
    if status.status == "linked":
        changed = await _change(db, binding_id, ("pending",), state="active", kind=status.kind,
                                local_account=status.local_account, confirmed_at=now)
        event = "binding.confirmed"
    else:
        changed = await _change(db, binding_id, ("pending",), state="failed", **_ended(now, status.status, by))
        event = "binding.failed"
    if changed:
        record(db, event, actor=by, binding_id=binding_id, reason=status.status, **await _about(db, binding_id))
        if status.status == "linked":
            await _tell_agent_authorized(db, binding_id)


async def _tell_agent_authorized(db: AsyncSession, binding_id: str) -> None:
    """A binding the legal person made for its agent is live: the agent reads it in 我的消息."""
    row = await db.get_one(Binding, binding_id)
    if row.agency_id is not None:
        await note_agent_authorized(db, row.agency_id, row.client_id)


async def owned(db: AsyncSession, client_id: str, binding_id: str) -> Binding:
    """The binding, if it belongs to this client; another client's is as good as absent."""
    row = await db.get(Binding, binding_id) if len(binding_id) <= 64 and binding_id.isprintable() else None
    if row is None or row.client_id != client_id:
        raise LookupError(binding_id)
    return row


async def confirm(db: AsyncSession, client_id: str, binding_id: str, kind: str, local_account: str) -> Binding:
    """pending → active. Repeating the same confirmation is answered the same (idempotent)."""
    row = await owned(db, client_id, binding_id)
    if kind != KIND_OF_MODE.get(row.mode):
        raise Conflict(row.state)
    if await _change(db, binding_id, ("pending",), state="active", kind=kind, local_account=local_account[:200],
                     confirmed_at=clock.now()):
        record(db, "binding.confirmed", actor=f"system:{client_id}", client_id=client_id, binding_id=binding_id,
               kind=kind, subject=await subject_of(db, row.account_id))
        await _tell_agent_authorized(db, binding_id)
    await db.refresh(row)
    if row.state != "active" or row.kind != kind:
        raise Conflict(row.state)
    return row


async def refuse(db: AsyncSession, client_id: str, binding_id: str, reason: str) -> Binding:
    """pending → failed, slot freed (the system will not link it)."""
    row = await owned(db, client_id, binding_id)
    if await _change(db, binding_id, ("pending",), state="failed",
                     **_ended(clock.now(), reason, f"system:{client_id}")):
        record(db, "binding.refused", actor=f"system:{client_id}", client_id=client_id, binding_id=binding_id,
               reason=reason, subject=await subject_of(db, row.account_id))
    await db.refresh(row)
    if row.state != "failed":
        raise Conflict(row.state)
    return row


async def system_ended(db: AsyncSession, client_id: str, binding_id: str, reason: str) -> Binding:
    """active (or unbinding) → ended: the system removed the link from its own side."""
    row = await owned(db, client_id, binding_id)
    if await _change(db, binding_id, ("active", "unbinding"), state="ended",
                     **_ended(clock.now(), reason, f"system:{client_id}")):
        record(db, "binding.ended", actor=f"system:{client_id}", client_id=client_id, binding_id=binding_id,
               reason=reason, subject=await subject_of(db, row.account_id))
    await db.refresh(row)
    if row.state != "ended":
        raise Conflict(row.state)
    return row


async def live_binding(db: AsyncSession, account_id: int, client_id: str,
                       agency_id: int | None = None) -> Binding | None:
    return await db.scalar(select(Binding).where(Binding.account_id == account_id, same_capacity(agency_id),
                                                 Binding.client_id == client_id, Binding.state.in_(LIVE)))


def _unlink_call(binding_id: str, now: dt.datetime, *, force: bool = False, reason: str | None = None) -> BindingCall:
    return BindingCall(binding_id=binding_id, action="unlink", force=force, reason=reason, created_at=now,
                       next_attempt_at=now, attempts=0)


async def request_unbind(db: AsyncSession, account: Account, client: ClientInfo, *,
                         source_ip: str | None = None) -> BindingCall:
    """解除绑定 by the user: active + a kind the user may undo → unbinding, and an unlink call in the outbox.
    A link of a kind the catalogue does not let the user undo (不可解除: by default one created by
    binding) is refused here whatever the page showed."""
    row = await live_binding(db, account.id, client.client_id)
    if row is None or row.state != "active":
        raise DomainError("binding.not_bound", system=client.display_name)
    if row.kind not in client.unbindable_kinds:
        raise DomainError("binding.not_unbindable")
    result = await db.execute(update(Binding).where(Binding.id == row.id, Binding.state == "active",
                                                    Binding.kind.in_(client.unbindable_kinds))
                               .values(state="unbinding"))
    if cast(CursorResult, result).rowcount != 1:
        raise DomainError("binding.not_bound", system=client.display_name)
    call = _unlink_call(row.id, clock.now())
    db.add(call)
    record(db, "binding.unbind_requested", actor=account.subject, client_id=client.client_id, binding_id=row.id,
           source_ip=source_ip, subject=account.subject)
    await db.flush()
    return call


async def finish_unbind(db: AsyncSession, binding_id: str, by: str) -> bool:
    """unbinding → ended: the system removed its link."""
    row = await db.get(Binding, binding_id)
    # A forced end (staff, or the legal person for its agent) keeps the reason it was given.
    reason = (row.ended_reason or "forced") if row is not None and by == row.ended_by else "unbound"
    if await _change(db, binding_id, ("unbinding",), state="ended", **_ended(clock.now(), reason, by)):
        record(db, "binding.unbound", actor=by, binding_id=binding_id, **await _about(db, binding_id))
        return True
    return False


async def unbind_refused(db: AsyncSession, binding_id: str) -> None:
    """The system refused to remove a link created by binding: unbinding → active again."""
    if await _change(db, binding_id, ("unbinding",), state="active"):
        record(db, "binding.unbind_refused", outcome="failure", binding_id=binding_id, **await _about(db, binding_id))


async def force_unbind(db: AsyncSession, binding_id: str, *, staff: str, reason: str,
                       request: str | None = None) -> BindingCall:
    """Staff undo any live binding (不可解除 included) with a reason (and the consultation it
    answers, ``request``, in the audit record); its holder reads it in 我的消息."""
    call = await end_with_force(db, binding_id, by=f"staff:{staff}", reason=reason, event="binding.force_unbind",
                                request=request)
    row = await db.get_one(Binding, binding_id)
    await note_force_unbound(db, account_id=row.account_id, agency_id=row.agency_id, client_id=row.client_id,
                             reason=reason)
    return call


async def end_with_force(db: AsyncSession, binding_id: str, *, by: str, reason: str, event: str,
                         linked_states: tuple[str, ...] = ("active", "unbinding"),
                         request: str | None = None) -> BindingCall:
    """Undo any live binding (不可解除 included) with a reason — staff on request, or the legal
    person revoking (or removing) its agent: → unbinding with force. ``linked_states`` are the
    states a linked binding may be in for this (staff may force one the user is unbinding; a
    revocation only an active one). One already being forced (``ended_by`` set) is not forced
    again, so of two at once exactly one wins and the other gets the Conflict.
    A still-pending binding is cancelled at the system, not unlinked: an unlink finds no link
    yet, and the system's late commit would leave it linked while the portal says ended. The
    tombstone of SYSTEM_CANCEL refuses that commit; a "linked" answer is unlinked next."""
    row = await db.get(Binding, binding_id) if len(binding_id) <= 64 and binding_id.isprintable() else None
    if row is None:
        raise LookupError(binding_id)
    marks = {"state": "unbinding", "ended_by": by[:128], "ended_reason": reason[:500]}
    now = clock.now()
    if await _change(db, binding_id, ("pending",), **marks):
        call = BindingCall(binding_id=binding_id, action="cancel", force=True, reason=reason, created_at=now,
                           next_attempt_at=now, attempts=0)
    elif await _change(db, binding_id, linked_states, Binding.ended_by.is_(None), **marks):
        call = _unlink_call(binding_id, now, force=True, reason=reason)
    else:
        raise Conflict(row.state)
    db.add(call)
    record(db, event, actor=by, client_id=row.client_id, binding_id=binding_id, reason=reason,
           account_id=row.account_id, agency_id=row.agency_id, subject=await subject_of(db, row.account_id),
           **({"request": request} if request else {}))
    await db.flush()
    return call


async def forced_cancel_answered(db: AsyncSession, binding_id: str, status: calls.Status, *, reason: str | None,
                                 by: str) -> None:
    """The system's answer to a staff force-unbind's cancel: cancelled → ended; linked (it
    committed first) → keep unbinding and unlink it, with force, as for an active binding."""
    if status.status != "linked":
        await finish_unbind(db, binding_id, by)
        return
    if await _change(db, binding_id, ("unbinding",), kind=status.kind,
                     local_account=status.local_account[:200] if status.local_account else None,
                     confirmed_at=clock.now()):
        db.add(_unlink_call(binding_id, clock.now(), force=True, reason=reason))
        record(db, "binding.force_unbind_linked", actor=by, binding_id=binding_id, **await _about(db, binding_id))
