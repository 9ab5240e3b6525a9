"""经办人授权: the legal person adds and removes agents (docs/behaviours.md, Agents).

Each change is one function named after it that checks the current state in the database: the
unique ``active_key`` makes a double add one agency; a conditional UPDATE makes a double
removal one removal. Removing an agent ends everything it held in the enterprise's name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import Account, AccountType
from idp.audit.log import record
from idp.bindings import outbox, transitions as bindings
from idp.bindings.models import Binding
from idp.clients.registry import ClientInfo
from idp.errors import DomainError
from idp.inbox.notes import note_agent_added, note_agent_removed, note_agent_revoked
from idp.oidc.logout.single_logout import end_session_everywhere
from idp.oidc.models import Grant
from idp.portal import Portal
from idp.principals.models import Agency
from idp.security.tokens import new_token
from idp.sessions.models import UserSession
from shared.identity import InvalidIdentifier, validate_citizen_id

REMOVED_REASON = "经办人已被移除"
REVOKED_REASON = "法人撤销经办人授权"


@dataclass(frozen=True)
class Removal:
    agent_name: str
    sessions_ended: int
    bindings_ended: int


def require_legal_person(account: Account) -> None:
    if account.account_type != AccountType.legal_person:
        raise DomainError("agents.legal_only")


async def find_agent_account(db: AsyncSession, id_number: str) -> Account:
    """The real-name personal account of this full ID number (15 digits are converted)."""
    if not (id_number or "").strip():
        raise DomainError("agents.id_number_required")
    try:
        normalised = validate_citizen_id(id_number.strip())
    except InvalidIdentifier as exc:
        raise DomainError(exc.message_id) from None
    person = await db.scalar(select(Account).where(Account.personal_id_number == normalised,
                                                   Account.account_type == AccountType.personal))
    if person is None or person.disabled_at is not None:
        raise DomainError("agents.no_account")
    if person.realname_level < 2:
        raise DomainError("agents.not_realname")
    return person


async def add_agent(portal: Portal, enterprise: Account, id_number: str, *, source_ip: str | None) -> Agency:
    """新增经办人: the unique index on active_key is the only arbiter of "already added"."""
    require_legal_person(enterprise)
    async with portal.reader() as db:
        person = await find_agent_account(db, id_number)
    try:
        async with portal.sessionmaker.begin() as db:
            agency = Agency(enterprise_account_id=enterprise.id, agent_account_id=person.id, subject=new_token(),
                            active_key=f"{enterprise.id}:{person.id}", created_at=clock.now())
            db.add(agency)
            await db.flush()
            record(db, "agent.added", actor=enterprise.subject, source_ip=source_ip, agent=person.subject,
                   subject=person.subject, agency_subject=agency.subject)
            note_agent_added(db, person.id, enterprise)
    except IntegrityError:
        raise DomainError("agents.already_added", name=person.name) from None
    return agency


async def agency_of(db: AsyncSession, enterprise: Account, agency_id: int) -> tuple[Agency, Account]:
    """A live agency of this enterprise and its agent; another enterprise's is as good as absent."""
    agency = await db.get(Agency, agency_id)
    if agency is None or not agency.active or agency.enterprise_account_id != enterprise.id:
        raise DomainError("agents.not_found")
    return agency, await db.get_one(Account, agency.agent_account_id)


async def remove_agent(portal: Portal, enterprise: Account, agency_id: int, *, source_ip: str | None,
                       by: str | None = None, reason: str = REMOVED_REASON) -> Removal:
    """移除经办人: the agency ends (one conditional UPDATE), its grants are revoked (refresh tokens
    included), its bindings are ended at the systems, and its sessions end everywhere with a
    back-channel logout to every system it used. ``by``: who ends it when not the legal person
    (an account closing, idp.space.closure), with its ``reason``."""
    require_legal_person(enterprise)
    actor = by or enterprise.subject
    now = clock.now()
    async with portal.sessionmaker.begin() as db:
        agency, person = await agency_of(db, enterprise, agency_id)
        result = await db.execute(update(Agency).where(Agency.id == agency.id, Agency.removed_at.is_(None))
                                  .values(removed_at=now, active_key=None, removed_by=actor))
        if cast(CursorResult, result).rowcount != 1:
            raise DomainError("agents.not_found")
        await db.execute(update(Grant).where(Grant.agency_id == agency.id, Grant.revoked_at.is_(None))
                         .values(revoked_at=now, revoked_reason="agent_removed"))
        # Those already unbinding (a revocation under way) are ended by their own call.
        live = (await db.scalars(select(Binding.id).where(Binding.agency_id == agency.id,
                                                          Binding.state.in_(("pending", "active"))))).all()
        calls = [await bindings.end_with_force(db, binding_id, by=f"account:{by}" if by else f"legal:{actor}",
                                               reason=reason, event="binding.agent_removed",
                                               linked_states=("active",))
                 for binding_id in live]
        call_ids = [call.id for call in calls]
        sids = (await db.scalars(select(UserSession.sid).where(UserSession.agency_id == agency.id,
                                                               UserSession.ended_at.is_(None)))).all()
        record(db, "agent.removed", actor=actor, source_ip=source_ip, agent=person.subject,
               agency_subject=agency.subject, bindings=len(live), sessions=len(sids), subject=person.subject)
        note_agent_removed(db, person.id, enterprise)
    ended = 0
    for sid in sids:
        ended += await end_session_everywhere(portal, sid, reason="agent_removed", source_ip=source_ip)
    for call_id in call_ids:  # at once where the system answers; the outbox retries the rest
        await outbox.deliver_one(portal, call_id)
    return Removal(person.name, ended, len(live))


async def revoke_agent_binding(portal: Portal, enterprise: Account, agency_id: int, client: ClientInfo, *,
                               source_ip: str | None) -> None:
    """撤销 one system's authorization of an agent: whatever its kind, the legal person may end it."""
    require_legal_person(enterprise)
    async with portal.sessionmaker.begin() as db:
        agency, person = await agency_of(db, enterprise, agency_id)
        row = await bindings.live_binding(db, person.id, client.client_id, agency.id)
        if row is None:
            raise DomainError("binding.not_bound", system=client.display_name)
        try:
            call = await bindings.end_with_force(db, row.id, by=f"legal:{enterprise.subject}", reason=REVOKED_REASON,
                                                 event="binding.agent_revoked", linked_states=("active",))
        except bindings.Conflict:  # already being revoked (another tab, a double click)
            raise DomainError("binding.agent_revoking", system=client.display_name) from None
        call_id = call.id
        record(db, "agent.binding_revoked", actor=enterprise.subject, client_id=client.client_id, source_ip=source_ip,
               agency_subject=agency.subject, subject=person.subject)
        await note_agent_revoked(db, agency.id, client.client_id)
    await outbox.deliver_one(portal, call_id)


async def agencies_of_person(db: AsyncSession, person_id: int) -> list[tuple[Agency, Account]]:
    """The enterprises a person may act for, for 法人登录 (enabled enterprises only)."""
    rows = (await db.execute(select(Agency, Account).join(Account, Account.id == Agency.enterprise_account_id)
                             .where(Agency.agent_account_id == person_id, Agency.removed_at.is_(None),
                                    Account.disabled_at.is_(None)).order_by(Account.enterprise_name))).all()
    return [(agency, enterprise) for agency, enterprise in rows]


async def agents_of_enterprise(db: AsyncSession, enterprise_id: int) -> list[tuple[Agency, Account]]:
    rows = (await db.execute(select(Agency, Account).join(Account, Account.id == Agency.agent_account_id)
                             .where(Agency.enterprise_account_id == enterprise_id, Agency.removed_at.is_(None))
                             .order_by(Agency.created_at))).all()
    return [(agency, person) for agency, person in rows]
