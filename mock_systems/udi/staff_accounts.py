"""The UDI system's review staff accounts (argon2id, shared.hashing) and their sessions behind a
cookie of their own (the login page: staff.py). A user's login never opens the review pages,
and a reviewer's login is not a user's."""
from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.profile import DEMO_LOCAL_PASSWORD
from mock_systems.common.security import digest
from mock_systems.udi.models import StaffMember, StaffSession

LOGIN = "/staff/login"
DEMO_STAFF = ("udi_staff", "审核员孙八")


def staff_cookie(system: SystemContext) -> str:
    name = system.profile.cookie_prefix + "_staff_session"
    return "__Host-" + name if system.settings.secure_cookies else name


async def create_staff(system: SystemContext, username: str, password: str, display_name: str) -> bool:
    """A reviewer account unless one of that name exists (two instances seeding at once: one wins)."""
    username = username.strip().lower()
    password_hash = await system.passwords.hash(password)
    try:
        async with system.sessionmaker.begin() as db:
            if await db.scalar(select(StaffMember.id).where(StaffMember.username == username)) is not None:
                return False
            db.add(StaffMember(username=username, password_hash=password_hash, display_name=display_name,
                               created_at=utcnow()))
    except IntegrityError:
        return False
    return True


async def seed_demo_staff(app, system: SystemContext) -> None:
    """At start-up, with the demo accounts: the reviewer udi_staff / DEMO_LOCAL_PASSWORD."""
    if system.settings.seed_demo_accounts:
        await create_staff(system, DEMO_STAFF[0], DEMO_LOCAL_PASSWORD, DEMO_STAFF[1])


async def current_staff(request: Request) -> tuple[StaffSession, StaffMember] | None:
    system: SystemContext = request.app.state.system
    token = request.cookies.get(staff_cookie(system))
    if not token:
        return None
    async with system.sessionmaker() as db:
        row = (await db.execute(select(StaffSession, StaffMember).join(
            StaffMember, StaffMember.id == StaffSession.staff_id).where(
            StaffSession.id_digest == digest(token), StaffSession.ended_at.is_(None),
            StaffSession.expires_at > utcnow()))).first()
    return (row[0], row[1]) if row else None
