"""Links between portal accounts (their ``sub``) and local accounts: the system's side of
授权绑定. The binding protocol creates and removes them here (with the binding record that
settles the binding id once, and the call owed to the portal in the same transaction); login
through the portal only reads them."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.binding_outbox import enqueue
from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.models import BindingOutcome, BindingRecord, LinkKind, LocalAccount, PortalLink
from shared.binding import Confirmation, Refusal, RefusalReason


async def linked_account(db: AsyncSession, issuer: str, portal_subject: str
                         ) -> tuple[PortalLink, LocalAccount] | None:
    """The link of this portal account (a subject of ``issuer``) and its local account, or None
    when not bound."""
    row = (await db.execute(
        select(PortalLink, LocalAccount).join(LocalAccount, LocalAccount.id == PortalLink.local_account_id)
        .where(PortalLink.issuer == issuer, PortalLink.portal_subject == portal_subject)
    )).first()
    return (row[0], row[1]) if row else None


@dataclass(frozen=True)
class Settled:
    """How a binding ended here: ``linked`` (now, or already by this same binding id), or
    ``refused`` with the contract's reason, or ``settled`` (cancelled or ended before)."""

    outcome: str  # "linked" | "refused" | "settled"
    reason: str | None = None
    link: PortalLink | None = None


async def settle_binding(system: SystemContext, *, binding_id: str, subject: str, kind: LinkKind,
                         account_for: Callable[[AsyncSession], Awaitable[LocalAccount]]) -> Settled:
    """Link ``subject`` for this binding id, atomically (docs/binding-protocol.md, Bind): the
    binding record, the account (``account_for``: a new one, or the proven existing one), the
    link and the confirm call commit together, or a refusal and its call do. The unique
    constraints decide races: the loser's transaction fails and is re-run, and sees the winner."""
    for _ in range(5):
        try:
            async with system.sessionmaker.begin() as db:
                return await _settle_once(db, issuer=system.settings.issuer, binding_id=binding_id,
                                          subject=subject, kind=kind, account_for=account_for)
        except IntegrityError:
            continue  # a parallel completion committed first: look again
    raise RuntimeError("binding could not be settled")  # pragma: no cover (five lost races in a row)


async def _settle_once(db: AsyncSession, *, issuer: str, binding_id: str, subject: str, kind: LinkKind,
                       account_for: Callable[[AsyncSession], Awaitable[LocalAccount]]) -> Settled:
    record = await db.get(BindingRecord, binding_id)
    if record is not None:
        link = await db.scalar(select(PortalLink).where(PortalLink.binding_id == binding_id))
        if record.outcome is BindingOutcome.linked and link is not None:
            return Settled("linked", link=link)  # the same binding again: done already
        return Settled("settled", reason=record.outcome.value)
    now = utcnow()
    db.add(BindingRecord(binding_id=binding_id, issuer=issuer, outcome=BindingOutcome.linked,
                         portal_subject=subject, recorded_at=now))
    await db.flush()  # takes the binding id first: a parallel completion waits here, then fails
    reason: RefusalReason | None = None
    if await db.scalar(select(PortalLink.id).where(PortalLink.issuer == issuer,
                                                   PortalLink.portal_subject == subject)) is not None:
        reason = "subject_already_linked"
    else:
        account = await account_for(db)
        if await db.scalar(select(PortalLink.id).where(PortalLink.local_account_id == account.id)) is not None:
            reason = "local_account_taken"
    if reason is not None:
        await db.execute(update(BindingRecord).where(BindingRecord.binding_id == binding_id)
                         .values(outcome=BindingOutcome.refused))
        await enqueue(db, issuer, binding_id, "refused", Refusal(reason=reason).to_json())
        return Settled("refused", reason=reason)
    link = PortalLink(issuer=issuer, portal_subject=subject, local_account_id=account.id, kind=kind, linked_at=now,
                      binding_id=binding_id)
    db.add(link)
    await db.flush()
    await enqueue(db, issuer, binding_id, "confirm",
                  Confirmation(kind=kind.wire, local_account=account.username).to_json())
    return Settled("linked", link=link)


async def refuse_binding(system: SystemContext, *, binding_id: str, subject: str, reason: RefusalReason) -> bool:
    """A binding the system's own rules refuse (extension.BindingRules): its record (refused) and
    the refused call, in one transaction; False when the binding id was settled already."""
    try:
        async with system.sessionmaker.begin() as db:
            if await db.get(BindingRecord, binding_id) is not None:
                return False
            db.add(BindingRecord(binding_id=binding_id, issuer=system.settings.issuer,
                                 outcome=BindingOutcome.refused, portal_subject=subject, recorded_at=utcnow()))
            await db.flush()
            await enqueue(db, system.settings.issuer, binding_id, "refused", Refusal(reason=reason).to_json())
    except IntegrityError:  # a parallel request settled it first
        return False
    return True


async def tombstone(db: AsyncSession, issuer: str, binding_id: str) -> BindingRecord:
    """SYSTEM_CANCEL: the binding's record, made a tombstone (cancelled) unless it exists."""
    record = await db.get(BindingRecord, binding_id)
    if record is None:
        record = BindingRecord(binding_id=binding_id, issuer=issuer, outcome=BindingOutcome.cancelled,
                               recorded_at=utcnow())
        db.add(record)
        await db.flush()
    return record


async def link_of_binding(db: AsyncSession, issuer: str, binding_id: str
                          ) -> tuple[PortalLink, LocalAccount] | None:
    """The link a binding of ``issuer`` made (another provider's binding ids name nothing here)."""
    row = (await db.execute(
        select(PortalLink, LocalAccount).join(LocalAccount, LocalAccount.id == PortalLink.local_account_id)
        .where(PortalLink.binding_id == binding_id, PortalLink.issuer == issuer)
    )).first()
    return (row[0], row[1]) if row else None


async def remove_link(db: AsyncSession, link: PortalLink) -> None:
    """Delete the link; its binding id stays settled (ended), so it can never link again."""
    await db.execute(delete(PortalLink).where(PortalLink.id == link.id))
    if link.binding_id is not None:
        await db.execute(update(BindingRecord).where(BindingRecord.binding_id == link.binding_id)
                         .values(outcome=BindingOutcome.ended))


async def link_of_account(db: AsyncSession, account_id: int) -> PortalLink | None:
    return await db.scalar(select(PortalLink).where(PortalLink.local_account_id == account_id))
