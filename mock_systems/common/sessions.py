"""Browser sessions with this system: a database row behind an opaque HttpOnly cookie.

A browser gets an anonymous session when it starts a login (the CSRF secret of the local login
form, and the anchor of a login at the portal). Each successful login ends that row and starts
a new one with a fresh cookie value (against session fixation). Ending a session is one UPDATE;
the back-channel logout ends every session of a portal session (``sid``) that way.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.models import Captcha, PendingLogin, WebSession
from mock_systems.common.security import digest, new_token


def cookie_name(system: SystemContext) -> str:
    name = system.profile.cookie_prefix + "_session"
    return "__Host-" + name if system.settings.secure_cookies else name


def set_cookie(response: Response, system: SystemContext, token: str) -> None:
    response.set_cookie(cookie_name(system), token, path="/", httponly=True, samesite="lax",
                        secure=system.settings.secure_cookies)


def clear_cookie(response: Response, system: SystemContext) -> None:
    response.delete_cookie(cookie_name(system), path="/", httponly=True, samesite="lax",
                           secure=system.settings.secure_cookies)


async def load_session(db: AsyncSession, system: SystemContext, request: Request) -> WebSession | None:
    """The browser's live session (anonymous or logged in), or None."""
    token = request.cookies.get(cookie_name(system))
    if not token:
        return None
    now = utcnow()
    row = await db.scalar(select(WebSession).where(
        WebSession.id_digest == digest(token), WebSession.ended_at.is_(None), WebSession.expires_at > now,
        WebSession.last_seen_at > now - dt.timedelta(seconds=system.settings.session_idle_seconds),
    ))
    if row is not None and now - row.last_seen_at > dt.timedelta(seconds=60):
        row.last_seen_at = now  # the idle clock, touched at most once a minute
    return row


async def new_session(db: AsyncSession, system: SystemContext, **login) -> tuple[str, WebSession]:
    """A new session row; ``login`` (account_id, login_method, portal_…) makes it logged in.
    Returns the cookie value and the row."""
    token, now = new_token(), utcnow()
    row = WebSession(id_digest=digest(token), csrf_secret=new_token(), created_at=now, last_seen_at=now,
                     expires_at=now + dt.timedelta(seconds=system.settings.session_absolute_seconds),
                     logged_in_at=now if login else None, **login)
    db.add(row)
    return token, row


async def ensure_session(db: AsyncSession, system: SystemContext, request: Request) -> tuple[WebSession, str | None]:
    """The browser's session, or a new anonymous one: (row, cookie value to set or None)."""
    row = await load_session(db, system, request)
    if row is not None:
        return row, None
    token, row = await new_session(db, system)
    return row, token


async def log_in(db: AsyncSession, system: SystemContext, previous: WebSession | None, **login) -> str:
    """End the browser's previous session and start a logged-in one; the new cookie value."""
    if previous is not None:
        await end_session(db, previous.id_digest)
    await purge_expired(db)
    token, _ = await new_session(db, system, **login)
    return token


async def end_session(db: AsyncSession, id_digest: str) -> None:
    await db.execute(update(WebSession).where(WebSession.id_digest == id_digest, WebSession.ended_at.is_(None))
                     .values(ended_at=utcnow()))


async def end_portal_sessions(db: AsyncSession, *, issuer: str, sid: str | None, subject: str | None) -> int:
    """Back-channel logout: end the sessions of portal session ``sid`` (of ``subject`` when the
    token names one), or, without a sid, every session of ``subject``; only sessions logged in
    by that provider (``issuer``). Returns how many."""
    if sid is None and subject is None:
        raise ValueError("a logout names a sid, a subject or both")
    query = update(WebSession).where(WebSession.ended_at.is_(None), WebSession.login_method == "portal",
                                     WebSession.portal_issuer == issuer)
    if sid is not None:
        query = query.where(WebSession.portal_sid == sid)
    if subject is not None:
        query = query.where(WebSession.portal_subject == subject)
    result = await db.execute(query.values(ended_at=utcnow()).returning(WebSession.id_digest))
    return len(result.all())


async def purge_expired(db: AsyncSession) -> None:
    """Drop what can no longer be used: expired sessions, logins in progress and captchas."""
    now = utcnow()
    await db.execute(delete(WebSession).where(or_(WebSession.expires_at < now, WebSession.ended_at < now
                                                  - dt.timedelta(days=1))))
    await db.execute(delete(PendingLogin).where(PendingLogin.expires_at < now))
    await db.execute(delete(Captcha).where(Captcha.expires_at < now))
