"""The operator's view of a user's login sessions, and ending one: for the console, its API
and the CLI. Ending goes the way of every logout (idp.oidc.logout.single_logout): the session
row (one conditional UPDATE: of two operators one ends it, the other is told), its online
grants, and a back-channel logout to each system it reached; the operator's act is recorded as
``session.ended_by_operator`` beside the logout's own ``session.logout``."""
from __future__ import annotations

from sqlalchemy import select

from idp.accounts.models import Account
from idp.audit.log import record
from idp.errors import DomainError
from idp.oidc.logout.single_logout import end_session_everywhere
from idp.portal import Portal
from idp.sessions.models import UserSession
from idp.sessions.store import SessionListing, live_sessions_of

SID_MAX = 64


async def account_by_username(portal: Portal, username: str) -> Account:
    username = (username or "").strip().lower()
    account = None
    if 0 < len(username) <= 64 and username.isprintable():
        async with portal.reader() as db:
            account = await db.scalar(select(Account).where(Account.username == username))
    if account is None:
        raise DomainError("ops.user_not_found", status_code=404)
    return account


async def sessions_of_user(portal: Portal, username: str) -> tuple[Account, list[SessionListing]]:
    account = await account_by_username(portal, username)
    async with portal.reader() as db:
        return account, await live_sessions_of(db, portal.settings, account.id)


async def end_user_session(portal: Portal, sid: str, *, actor: str, source_ip: str | None = None) -> str:
    """End the live session ``sid`` everywhere; returns the subject of its account."""
    subject = None
    if 0 < len(sid) <= SID_MAX and sid.isprintable():
        async with portal.reader() as db:
            subject = await db.scalar(select(Account.subject).join(UserSession, UserSession.account_id == Account.id)
                                      .where(UserSession.sid == sid, UserSession.ended_at.is_(None)))
    if subject is None or not await end_session_everywhere(portal, sid, reason="ended_by_operator",
                                                           source_ip=source_ip):
        raise DomainError("ops.session_not_live", status_code=409)
    async with portal.sessionmaker.begin() as db:
        record(db, "session.ended_by_operator", actor=actor, subject=subject, source_ip=source_ip, sid=sid)
    return subject
