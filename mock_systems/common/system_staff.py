"""A business system's own staff (the UDI system's reviewers, the pharmacist system's provincial
administrators): accounts (argon2id, shared.hashing) that are never portal accounts, and their
sessions behind a cookie of their own, so a user's login never opens the staff pages and a staff
login is not a user's. Each system describes its staff once (``SystemStaff``: its tables, cookie,
paths, demo login); the login page is system_staff_login.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.profile import DEMO_LOCAL_PASSWORD
from mock_systems.common.security import digest


@dataclass(frozen=True)
class SystemStaff:
    member: Any  # the system's table on StaffMemberColumns (staff_tables.py)
    session: Any  # the system's table on StaffSessionColumns
    member_column: str  # the session's column naming the member ("staff_id", "admin_id")
    cookie_suffix: str  # after the system's cookie prefix: "_staff_session"
    login: str  # the login page's path
    logout: str
    home: str  # where a signed-in member lands
    login_template: str  # the system's own login page template
    demo: tuple[str, str]  # username and display name, seeded with the demo accounts

    def cookie(self, system: SystemContext) -> str:
        name = system.profile.cookie_prefix + self.cookie_suffix
        return "__Host-" + name if system.settings.secure_cookies else name

    async def create(self, system: SystemContext, username: str, password: str, display_name: str) -> bool:
        """A member unless one of that name exists (two instances seeding at once: one wins)."""
        username = username.strip().lower()
        password_hash = await system.passwords.hash(password)
        try:
            async with system.sessionmaker.begin() as db:
                if await db.scalar(select(self.member.id).where(self.member.username == username)) is not None:
                    return False
                db.add(self.member(username=username, password_hash=password_hash, display_name=display_name,
                                   created_at=utcnow()))
        except IntegrityError:
            return False
        return True

    async def seed_demo(self, app, system: SystemContext) -> None:
        """At start-up, with the demo accounts: the demo member / DEMO_LOCAL_PASSWORD."""
        if system.settings.seed_demo_accounts:
            await self.create(system, self.demo[0], DEMO_LOCAL_PASSWORD, self.demo[1])

    async def current(self, request: Request) -> tuple[Any, Any] | None:
        """(session, member) of the staff cookie, while the session is open and unexpired."""
        system: SystemContext = request.app.state.system
        token = request.cookies.get(self.cookie(system))
        if not token:
            return None
        session = self.session
        async with system.sessionmaker() as db:
            row = (await db.execute(select(session, self.member).join(
                self.member, self.member.id == getattr(session, self.member_column)).where(
                session.id_digest == digest(token), session.ended_at.is_(None),
                session.expires_at > utcnow()))).first()
        return (row[0], row[1]) if row else None
