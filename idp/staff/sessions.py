"""Console sessions: rows behind the ``staff_session`` cookie (only its digest is stored), with a
short idle timeout and an absolute lifetime, checked on every read.

A session starts when the sign-in page is shown (stage ``login``: the form's CSRF secret and the
fresh cookie, against login CSRF), moves to ``factor`` when the password was right and to
``active`` after the TOTP code; each move is one conditional UPDATE from the expected stage and
gives a new cookie value (against fixation), so a double submit moves it once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.security.tokens import digest, new_token
from idp.settings import Settings
from idp.staff.accounts import roles_of
from idp.staff.models import StaffAccount, StaffSession

LOGIN, FACTOR, ACTIVE = "login", "factor", "active"
TOUCH_AFTER = dt.timedelta(seconds=30)  # at most one write per half minute keeps the idle clock honest


@dataclass(frozen=True)
class LoadedSession:
    id_digest: str
    stage: str
    csrf_secret: str
    account: StaffAccount | None  # set from the factor stage on
    roles: frozenset[str] = frozenset()


def _live(settings: Settings, now: dt.datetime) -> tuple:
    """Not ended, within its absolute lifetime, not idle too long."""
    idle = dt.timedelta(seconds=settings.staff_session_idle_seconds)
    return StaffSession.ended_at.is_(None), StaffSession.expires_at > now, StaffSession.last_seen_at > now - idle


async def open_session(db: AsyncSession, settings: Settings, source_ip: str | None) -> tuple[str, LoadedSession]:
    """A session at the sign-in form. Returns the cookie value and the session."""
    token, now = new_token(), clock.now()
    row = StaffSession(id_digest=digest(token), stage=LOGIN, csrf_secret=new_token(), created_at=now,
                       last_seen_at=now, source_ip=source_ip,
                       expires_at=now + dt.timedelta(seconds=settings.staff_session_absolute_seconds))
    db.add(row)
    return token, LoadedSession(row.id_digest, LOGIN, row.csrf_secret, None)


async def load_staff_session(db: AsyncSession, settings: Settings, token: str | None) -> LoadedSession | None:
    """The live session of this cookie value, or None; a disabled member's sessions are dead."""
    if not token or len(token) > 128:
        return None
    now = clock.now()
    found = (await db.execute(
        select(StaffSession, StaffAccount).outerjoin(StaffAccount, StaffAccount.id == StaffSession.staff_id)
        .where(StaffSession.id_digest == digest(token), *_live(settings, now))
    )).first()
    if found is None:
        return None
    row, account = found
    if account is not None and account.disabled_at is not None:
        return None
    if now - row.last_seen_at > TOUCH_AFTER:
        await db.execute(update(StaffSession).where(StaffSession.id_digest == row.id_digest).values(last_seen_at=now))
    roles = await roles_of(db, account.id) if account is not None and row.stage == ACTIVE else frozenset()
    return LoadedSession(row.id_digest, row.stage, row.csrf_secret, account, roles)


async def advance_session(db: AsyncSession, session: LoadedSession, *, to: str, staff_id: int) -> str | None:
    """Move the session from its stage to ``to`` for ``staff_id`` with a new cookie value (and CSRF
    secret); None if another request moved or ended it first."""
    token, now = new_token(), clock.now()
    values: dict = {"id_digest": digest(token), "stage": to, "staff_id": staff_id, "csrf_secret": new_token(),
                    "last_seen_at": now}
    if to == ACTIVE:
        values["signed_in_at"] = now
    result = await db.execute(
        update(StaffSession)
        .where(StaffSession.id_digest == session.id_digest, StaffSession.stage == session.stage,
               StaffSession.ended_at.is_(None))
        .values(**values).returning(StaffSession.id_digest)
    )
    return token if result.first() is not None else None


async def end_staff_session(db: AsyncSession, id_digest: str) -> bool:
    """End one session; False if it had ended already."""
    result = await db.execute(update(StaffSession)
                              .where(StaffSession.id_digest == id_digest, StaffSession.ended_at.is_(None))
                              .values(ended_at=clock.now()).returning(StaffSession.id_digest))
    return result.first() is not None
