"""The kinds of note the portal posts to 我的消息, each where its change happens and in that
change's transaction (a note of a change that rolled back would be false).

``kind`` (AccountMessage.kind) names what the note is about; the texts are the catalogue's
(shared/messages.py, ``inbox.``). The notes of password and contact changes are
idp.accounts.notices; the help desk's answer posts ``consultation_answered`` itself.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import Account
from idp.clients.models import Client
from idp.inbox.store import post_message
from idp.principals.models import Agency
from shared.messages import text

CONSULTATION_ANSWERED = "consultation_answered"
BINDING_FORCE_UNBOUND = "binding_force_unbound"
AGENT_ADDED = "agent_added"
AGENT_REMOVED = "agent_removed"
AGENT_AUTHORIZED = "agent_authorized"
AGENT_REVOKED = "agent_revoked"
NEW_LOGIN_PLACE = "new_login_place"
SYSTEM_NOTICE = "system_notice"


def _now() -> str:
    return clock.beijing_text(clock.now())


async def system_name(db: AsyncSession, client_id: str) -> str:
    return await db.scalar(select(Client.display_name).where(Client.client_id == client_id)) or client_id


async def _agency_names(db: AsyncSession, agency_id: int) -> tuple[Agency, str, str]:
    """The agency, its enterprise's name and its agent's name."""
    agency = await db.get_one(Agency, agency_id)
    enterprise = await db.get_one(Account, agency.enterprise_account_id)
    agent = await db.get_one(Account, agency.agent_account_id)
    return agency, enterprise.enterprise_name or enterprise.name, agent.name


async def note_force_unbound(db: AsyncSession, *, account_id: int, agency_id: int | None, client_id: str,
                             reason: str) -> None:
    """Staff undid a binding: its holder is told, with the system and the reason; for an agent's
    binding the enterprise it acted for too."""
    at, system = _now(), await system_name(db, client_id)
    title = text("inbox.force_unbound.title")
    post_message(db, account_id, BINDING_FORCE_UNBOUND, title,
                 text("inbox.force_unbound.body", at=at, system=system, reason=reason))
    if agency_id is not None:
        agency, enterprise, agent = await _agency_names(db, agency_id)
        post_message(db, agency.enterprise_account_id, BINDING_FORCE_UNBOUND, title,
                     text("inbox.force_unbound_agent.body", at=at, agent=agent, enterprise=enterprise, system=system,
                          reason=reason))


def note_agent_added(db: AsyncSession, agent_account_id: int, enterprise: Account) -> None:
    """To the person the legal person added (the legal person acted itself: no note to it)."""
    post_message(db, agent_account_id, AGENT_ADDED, text("inbox.agent_added.title"),
                 text("inbox.agent_added.body", enterprise=enterprise.enterprise_name or enterprise.name, at=_now()))


def note_agent_removed(db: AsyncSession, agent_account_id: int, enterprise: Account) -> None:
    post_message(db, agent_account_id, AGENT_REMOVED, text("inbox.agent_removed.title"),
                 text("inbox.agent_removed.body", enterprise=enterprise.enterprise_name or enterprise.name,
                      at=_now()))


async def note_agent_authorized(db: AsyncSession, agency_id: int, client_id: str) -> None:
    """The system confirmed the binding the legal person made for its agent."""
    agency, enterprise, _agent = await _agency_names(db, agency_id)
    post_message(db, agency.agent_account_id, AGENT_AUTHORIZED, text("inbox.agent_authorized.title"),
                 text("inbox.agent_authorized.body", enterprise=enterprise, at=_now(),
                      system=await system_name(db, client_id)))


async def note_agent_revoked(db: AsyncSession, agency_id: int, client_id: str) -> None:
    agency, enterprise, _agent = await _agency_names(db, agency_id)
    post_message(db, agency.agent_account_id, AGENT_REVOKED, text("inbox.agent_revoked.title"),
                 text("inbox.agent_revoked.body", enterprise=enterprise, at=_now(),
                      system=await system_name(db, client_id)))


def note_new_login_place(db: AsyncSession, account: Account, *, source_ip: str | None, device: str | None) -> None:
    unknown = text("inbox.unknown_address")
    post_message(db, account.id, NEW_LOGIN_PLACE, text("inbox.new_login_place.title"),
                 text("inbox.new_login_place.body", username=account.username, at=_now(),
                      address=source_ip or unknown, device=device or unknown))


async def note_from_system(db: AsyncSession, account_id: int, client_id: str, title: str, body: str) -> None:
    """A business system's notice (e.g. the UDI review result), titled with the system's name so
    that no system can pass for the portal or for another system."""
    post_message(db, account_id, SYSTEM_NOTICE,
                 text("inbox.system_notice.title", system=await system_name(db, client_id), title=title), body)
