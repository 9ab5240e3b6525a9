"""Login sessions: database rows behind an opaque HttpOnly cookie.

Idle timeout and absolute lifetime are enforced on every read; ending a session is one
UPDATE, so it ends on every instance at once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from idp import clock
from idp.accounts.models import Account
from idp.clients.models import Client
from idp.db.ops import insert_ignore
from idp.principals.models import Agency
from idp.principals.principal import Principal, load_principal
from idp.security.tokens import digest, new_token
from idp.sessions.models import SessionClient, UserSession
from idp.settings import Settings

BROWSER_COOKIE = "idp_browser"
INSERT_SESSION = insert(cast(Table, UserSession.__table__))  # built once: every login runs it
SESSION_COLUMNS = tuple(column.key for column in UserSession.__table__.columns)
# A live session: not ended, not past its absolute lifetime, not idle too long (the bounds are
# live_bounds(): bound values, so a statement is built once).
LIVE = (UserSession.ended_at.is_(None), UserSession.expires_at > bindparam("now"),
        UserSession.last_seen_at > bindparam("idle_since"))
# Built once: every page of a signed-in user reads its session.
SESSION_BY_COOKIE = select(UserSession).where(UserSession.id_digest == bindparam("id_digest"), *LIVE)
TOUCH_SESSION = (update(UserSession).where(UserSession.id_digest == bindparam("b_id_digest"))
                 .values(last_seen_at=bindparam("b_last_seen_at")))


def cookie_name(settings: Settings, name: str) -> str:
    """``name`` after the deployment's IDP_COOKIE_PREFIX; __Host- when the issuer is https (it
    requires Secure, which browsers only honour over https)."""
    return ("__Host-" if settings.issuer_is_https else "") + settings.cookie_prefix + name


def session_cookie_name(settings: Settings) -> str:
    return cookie_name(settings, "idp_session")


def browser_cookie_name(settings: Settings) -> str:
    return cookie_name(settings, BROWSER_COOKIE)


def set_cookie(response: Response, settings: Settings, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
        secure=settings.issuer_is_https,
    )


@dataclass(frozen=True)
class ActiveSession:
    id_digest: str
    sid: str
    account: Account
    auth_time: dt.datetime
    amr: list
    acr: str
    csrf_secret: str
    agency: Agency | None = None  # an agent acting for an enterprise (法人登录)
    enterprise: Account | None = None

    @property
    def principal(self) -> Principal:
        return Principal(self.account, self.agency, self.enterprise)

    @property
    def subject(self) -> str:
        """The ``sub`` business systems see for this session (docs/claims.md)."""
        return self.principal.subject


async def load_session(db: AsyncSession, settings: Settings, request: Request) -> ActiveSession | None:
    token = request.cookies.get(session_cookie_name(settings))
    if not token:
        return None
    now = clock.now()
    row = await db.scalar(SESSION_BY_COOKIE, {"id_digest": digest(token), **live_bounds(settings, now)})
    if row is None:
        return None
    # An agent's session ends the moment its agency is removed (or the enterprise disabled).
    principal = await load_principal(db, row.account_id, row.agency_id)
    if principal is None:
        return None
    # Touch at most once a minute: keeps the idle clock honest without a write per request.
    if now - row.last_seen_at > dt.timedelta(seconds=60):
        connection = await db.connection()
        await connection.execute(TOUCH_SESSION, {"b_id_digest": row.id_digest, "b_last_seen_at": now})
    return ActiveSession(row.id_digest, row.sid, principal.account, row.auth_time, row.amr, row.acr, row.csrf_secret,
                         principal.agency, principal.enterprise)


def live_bounds(settings: Settings, now: dt.datetime) -> dict[str, dt.datetime]:
    """The bound values of :data:`LIVE` at ``now``."""
    return {"now": now, "idle_since": now - dt.timedelta(seconds=settings.session_idle_seconds)}


@dataclass(frozen=True)
class SessionListing:
    """One live session as 登录设备 shows it (ASVS 5.0 V7.5.2)."""

    sid: str
    device: str | None
    source_ip: str | None
    created_at: dt.datetime
    last_seen_at: dt.datetime
    systems: tuple[str, ...]  # the display names of the business systems it logged in to


async def live_sessions_of(db: AsyncSession, settings: Settings, account_id: int) -> list[SessionListing]:
    """The account's live sessions, the most recently active first (an agent's included)."""
    rows = (await db.scalars(
        select(UserSession).where(UserSession.account_id == account_id, *LIVE)
        .order_by(UserSession.last_seen_at.desc(), UserSession.created_at.desc()),
        live_bounds(settings, clock.now()),
    )).all()
    systems: dict[str, list[str]] = {row.sid: [] for row in rows}
    if rows:
        reached = await db.execute(
            select(SessionClient.sid, Client.display_name).join(Client, Client.client_id == SessionClient.client_id)
            .where(SessionClient.sid.in_(systems)).order_by(SessionClient.first_at)
        )
        for sid, name in reached:
            systems[sid].append(name)
    return [SessionListing(row.sid, row.device, row.source_ip, row.created_at, row.last_seen_at,
                           tuple(systems[row.sid])) for row in rows]


async def is_live_session_of(db: AsyncSession, settings: Settings, account_id: int, sid: str) -> bool:
    """Whether ``sid`` is a live session of this account: nobody ends another account's session."""
    return await db.scalar(
        select(UserSession.sid).where(UserSession.sid == sid, UserSession.account_id == account_id, *LIVE),
        live_bounds(settings, clock.now()),
    ) is not None


async def start_session(
    db: AsyncSession, settings: Settings, account: Account, *, amr: list, acr: str, source_ip: str | None,
    agency_id: int | None = None, device: str | None = None,
) -> tuple[str, UserSession]:
    """Create a new session (a fresh id on every login, against fixation). Returns the cookie value
    and the row, written at once with a Core INSERT (the object itself stays out of ``db``)."""
    token = new_token()
    now = clock.now()
    row = UserSession(
        id_digest=digest(token),
        sid=new_token(),
        account_id=account.id,
        agency_id=agency_id,
        auth_time=now,
        amr=amr,
        acr=acr,
        csrf_secret=new_token(),
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(seconds=settings.session_absolute_seconds),
        source_ip=source_ip,
        device=device,
    )
    connection = await db.connection()
    await connection.execute(INSERT_SESSION, {name: getattr(row, name) for name in SESSION_COLUMNS})
    return token, row


async def reauthenticate(
    db: AsyncSession, session: ActiveSession, *, amr: list, acr: str, source_ip: str | None,
    device: str | None = None,
) -> str | None:
    """The same user logged in again (prompt=login, max_age): a fresh cookie value and
    auth_time, but the same session (sid), so the business systems stay logged in.
    Returns the new cookie value, or None if the session ended meanwhile."""
    token = new_token()
    now = clock.now()
    result = await db.execute(
        update(UserSession)
        .where(UserSession.id_digest == session.id_digest, UserSession.ended_at.is_(None))
        .values(id_digest=digest(token), auth_time=now, amr=amr, acr=acr, last_seen_at=now, source_ip=source_ip,
                device=device)
        .returning(UserSession.sid)
    )
    return token if result.first() is not None else None


async def end_session(db: AsyncSession, sid: str) -> bool:
    """Mark a session ended. Returns False when it had already ended (idempotent)."""
    result = await db.execute(
        update(UserSession)
        .where(UserSession.sid == sid, UserSession.ended_at.is_(None))
        .values(ended_at=clock.now())
        .returning(UserSession.sid)
    )
    return result.first() is not None


async def session_clients(db: AsyncSession, sid: str) -> list[str]:
    return list((await db.scalars(select(SessionClient.client_id).where(SessionClient.sid == sid))).all())


async def record_session_client(db: AsyncSession, sid: str, client_id: str) -> None:
    await insert_ignore(
        db, SessionClient, {"sid": sid, "client_id": client_id, "first_at": clock.now()}, ["sid", "client_id"]
    )
