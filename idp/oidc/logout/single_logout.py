"""Ending a login session everywhere: the session row, the online grants it produced, and a
back-channel logout to every client that took part."""
from __future__ import annotations

import asyncio
import logging

from sqlalchemy import func, or_, select, update

from idp import clock
from idp.accounts.models import Account
from idp.audit.log import record
from idp.oidc.logout.backchannel import deliver_due, enqueue_logout
from idp.oidc.models import AuthorizationCode, Grant
from idp.portal import Portal
from idp.principals.models import Agency
from idp.sessions.models import UserSession
from idp.sessions.store import end_session, session_clients

log = logging.getLogger(__name__)
_background: set[asyncio.Task] = set()


def _delivered(task: asyncio.Task) -> None:
    """The immediate delivery's end. Its failure (the database refusing a connection, say) is
    no loss: the outbox rows stay due and the background loop of any instance sends them."""
    _background.discard(task)
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("immediate back-channel logout delivery failed (%s); the outbox retries it",
                    error.__class__.__name__)


async def end_session_everywhere(portal: Portal, sid: str, *, reason: str, source_ip: str | None = None) -> bool:
    async with portal.sessionmaker.begin() as db:
        if not await end_session(db, sid):
            return False
        # The logout token's sub is the one the systems saw: an agent's is its agency's.
        subject = (await db.execute(select(func.coalesce(Agency.subject, Account.subject))
                                    .select_from(UserSession).join(Account, Account.id == UserSession.account_id)
                                    .outerjoin(Agency, Agency.id == UserSession.agency_id)
                                    .where(UserSession.sid == sid))).scalar_one()
        # A code not yet redeemed is a login still in flight in this session: it must not yield
        # tokens after the logout. Marking it used (not expired) is what the redemption's own
        # conditional UPDATE re-checks after waiting for our lock; doing it before the
        # revocation below means a redemption that won the race has its grant revoked.
        now = clock.now()
        await db.execute(
            update(AuthorizationCode)  # live codes only: the expires_at index keeps this small
            .where(AuthorizationCode.expires_at > now, AuthorizationCode.sid == sid,
                   AuthorizationCode.consumed_at.is_(None))
            .values(consumed_at=now)
        )
        # Tokens of the session die with it; offline_access grants outlive it by design.
        await db.execute(
            update(Grant)
            .where(Grant.sid == sid, Grant.revoked_at.is_(None), Grant.scope.not_like("%offline_access%"))
            .values(revoked_at=now, revoked_reason="logout")
        )
        clients = await session_clients(db, sid)
        queued = await enqueue_logout(db, portal, clients, subject, sid)
        record(db, "session.logout", actor=subject, source_ip=source_ip, sid=sid, reason=reason,
               backchannel_clients=queued)
    if queued:
        # Deliver now rather than at the worker's next round; the outbox row is the guarantee.
        task = asyncio.create_task(deliver_due(portal))
        _background.add(task)
        task.add_done_callback(_delivered)
    return True


async def end_account_sessions(
    portal: Portal, account_id: int, *, reason: str, keep_sid: str | None = None, source_ip: str | None = None
) -> int:
    """After a password change or reset: every session of the account but ``keep_sid`` ends
    everywhere, and every grant not of the kept session is revoked, offline_access included —
    a refresh token obtained with the old password must not outlive it. Returns sessions ended."""
    async with portal.sessionmaker.begin() as db:
        live = [UserSession.account_id == account_id, UserSession.ended_at.is_(None)]
        not_kept = [] if keep_sid is None else [or_(Grant.sid.is_(None), Grant.sid != keep_sid)]
        if keep_sid is not None:
            live.append(UserSession.sid != keep_sid)
        sids = (await db.scalars(select(UserSession.sid).where(*live))).all()
        await db.execute(
            update(Grant).where(Grant.account_id == account_id, Grant.revoked_at.is_(None), *not_kept)
            .values(revoked_at=clock.now(), revoked_reason=reason)
        )
    ended = 0
    for sid in sids:
        ended += await end_session_everywhere(portal, sid, reason=reason, source_ip=source_ip)
    return ended


async def wait_for_background_deliveries() -> None:
    """Wait until the deliveries started by logouts in this process have finished: at shutdown,
    so that none is cut off mid-request, and in tests, which need a settled outbox."""
    loop = asyncio.get_running_loop()
    while pending := [task for task in _background if task.get_loop() is loop and not task.done()]:
        await asyncio.gather(*pending, return_exceptions=True)
