"""The provincial administrators (省局管理员) of the licensed-pharmacist system: their own
accounts (argon2id) and sessions behind a cookie of their own; a pharmacist's login never opens
their pages. The login page is admin_login.py, their pages admin_pages.py."""
from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.profile import DEMO_LOCAL_PASSWORD
from mock_systems.common.security import digest
from mock_systems.pharmacist.models import Administrator, AdminSession

LOGIN = "/staff/login"
HOME = "/staff/register"
DEMO_ADMIN = ("pharmacist_admin", "省局管理员周九")


def admin_cookie(system: SystemContext) -> str:
    name = system.profile.cookie_prefix + "_admin_session"
    return "__Host-" + name if system.settings.secure_cookies else name


async def create_admin(system: SystemContext, username: str, password: str, display_name: str) -> bool:
    """An administrator unless one of that name exists (two instances seeding at once: one wins)."""
    username = username.strip().lower()
    password_hash = await system.passwords.hash(password)
    try:
        async with system.sessionmaker.begin() as db:
            if await db.scalar(select(Administrator.id).where(Administrator.username == username)) is not None:
                return False
            db.add(Administrator(username=username, password_hash=password_hash, display_name=display_name,
                                 created_at=utcnow()))
    except IntegrityError:
        return False
    return True


async def seed_demo_admin(app, system: SystemContext) -> None:
    if system.settings.seed_demo_accounts:
        await create_admin(system, DEMO_ADMIN[0], DEMO_LOCAL_PASSWORD, DEMO_ADMIN[1])


async def current_admin(request: Request) -> tuple[AdminSession, Administrator] | None:
    system: SystemContext = request.app.state.system
    token = request.cookies.get(admin_cookie(system))
    if not token:
        return None
    async with system.sessionmaker() as db:
        row = (await db.execute(select(AdminSession, Administrator).join(
            Administrator, Administrator.id == AdminSession.admin_id).where(
            AdminSession.id_digest == digest(token), AdminSession.ended_at.is_(None),
            AdminSession.expires_at > utcnow()))).first()
    return (row[0], row[1]) if row else None
