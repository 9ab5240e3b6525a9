"""Staff account transitions, each named after what it does, checking the current state first
and refusing with a coded DomainError; each change is one conditional statement and is
recorded in the audit log in the same transaction (actor ``staff:<username>`` or ``cli``)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.audit.log import record
from idp.db.ops import insert_ignore
from idp.errors import DomainError
from idp.staff.models import StaffAccount, StaffRole, StaffSession
from idp.staff.roles import ADMIN, ROLES
from shared.hashing import Passwords
from shared.identity import InvalidIdentifier
from shared.passwords import validate_password

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{2,31}")


@dataclass(frozen=True)
class Actor:
    """Who changes staff accounts: an administrator in the console (``staff_id`` set, so it cannot
    lock itself out) or an operator's command."""

    audit_name: str
    staff_id: int | None = None


CLI = Actor("cli")


def staff_actor(staff_id: int, username: str) -> Actor:
    return Actor(f"staff:{username}", staff_id)


def record_change(db: AsyncSession, event: str, by: Actor, username: str, **details) -> None:
    """A change to a staff account in the audit log: who made it, and the member it concerns."""
    record(db, event, actor=by.audit_name, subject=f"staff:{username}", staff=username, **details)


def checked_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not USERNAME.fullmatch(username):
        raise DomainError("staff.username_format")
    return username


def checked_roles(roles: Iterable[str]) -> list[str]:
    chosen = sorted(set(roles))
    if not chosen:
        raise DomainError("staff.role_required")
    if any(role not in ROLES for role in chosen):
        raise DomainError("staff.role_unknown")
    return chosen


def checked_password(password: str, username: str, name: str) -> str:
    try:
        return validate_password(password, (username, name))
    except InvalidIdentifier as exc:
        raise DomainError(exc.message_id) from None


async def find_staff(db: AsyncSession, username: str) -> StaffAccount | None:
    """The staff account of ``username`` (any case), disabled or not."""
    username = (username or "").strip().lower()
    if not username.isprintable() or len(username) > 64:  # a NUL cannot even be compared on PostgreSQL
        return None
    return await db.scalar(select(StaffAccount).where(StaffAccount.username == username))


async def get_staff(db: AsyncSession, staff_id: int) -> StaffAccount:
    account = await db.get(StaffAccount, staff_id)
    if account is None:
        raise DomainError("staff.not_found", status_code=404)
    return account


async def roles_of(db: AsyncSession, staff_id: int) -> frozenset[str]:
    return frozenset((await db.scalars(select(StaffRole.role).where(StaffRole.staff_id == staff_id))).all())


async def list_staff(db: AsyncSession) -> list[tuple[StaffAccount, frozenset[str]]]:
    """Every staff account with its roles, by username."""
    accounts = (await db.scalars(select(StaffAccount).order_by(StaffAccount.username))).all()
    roles: dict[int, set[str]] = {account.id: set() for account in accounts}
    for staff_id, role in await db.execute(select(StaffRole.staff_id, StaffRole.role)):
        roles.setdefault(staff_id, set()).add(role)
    return [(account, frozenset(roles[account.id])) for account in accounts]


async def create_staff(db: AsyncSession, passwords: Passwords, *, username: str, name: str, password: str,
                       roles: Iterable[str], by: Actor) -> StaffAccount:
    """A new staff account, without TOTP: it enrols on its first sign-in. The unique username
    settles two racing creations (the second is told the name is taken)."""
    username = checked_username(username)
    name = (name or "").strip()
    if not name or len(name) > 100 or not name.isprintable():
        raise DomainError("staff.name_required")
    chosen = checked_roles(roles)
    checked_password(password, username, name)
    now = clock.now()
    inserted = await insert_ignore(db, StaffAccount, {
        "username": username, "name": name, "password_hash": await passwords.hash(password),
        "failed_logins": 0, "created_at": now, "created_by": by.audit_name[:64],
    }, ["username"])
    if not inserted:
        raise DomainError("staff.username_taken", status_code=409)
    account = (await db.scalars(select(StaffAccount).where(StaffAccount.username == username))).one()
    for role in chosen:
        await insert_ignore(db, StaffRole, {"staff_id": account.id, "role": role, "granted_at": now},
                            ["staff_id", "role"])
    record_change(db, "staff.created", by, username, roles=chosen)
    return account


async def end_sessions_of(db: AsyncSession, staff_id: int) -> None:
    """Every console session of the member ends at once (disabled, TOTP reset)."""
    await db.execute(update(StaffSession).where(StaffSession.staff_id == staff_id, StaffSession.ended_at.is_(None))
                     .values(ended_at=clock.now()))


async def disable_staff(db: AsyncSession, staff_id: int, *, by: Actor) -> StaffAccount:
    """The member can no longer sign in, and its sessions end. Nobody disables itself."""
    account = await get_staff(db, staff_id)
    if by.staff_id == staff_id:
        raise DomainError("staff.self_disable", status_code=409)
    result = await db.execute(update(StaffAccount)
                              .where(StaffAccount.id == staff_id, StaffAccount.disabled_at.is_(None))
                              .values(disabled_at=clock.now()).returning(StaffAccount.id))
    if result.first() is None:
        raise DomainError("staff.already_disabled", status_code=409)
    await end_sessions_of(db, staff_id)
    record_change(db, "staff.disabled", by, account.username)
    return account


async def enable_staff(db: AsyncSession, staff_id: int, *, by: Actor) -> StaffAccount:
    """A disabled member may sign in again; a lockout in force is lifted with it."""
    account = await get_staff(db, staff_id)
    result = await db.execute(update(StaffAccount)
                              .where(StaffAccount.id == staff_id, StaffAccount.disabled_at.is_not(None))
                              .values(disabled_at=None, failed_logins=0, failed_window_start=None, locked_until=None)
                              .returning(StaffAccount.id))
    if result.first() is None:
        raise DomainError("staff.not_disabled", status_code=409)
    record_change(db, "staff.enabled", by, account.username)
    return account


async def grant_role(db: AsyncSession, staff_id: int, role: str, *, by: Actor) -> bool:
    """Give the member ``role``; False if it had it already (the primary key settles races)."""
    checked_roles([role])
    account = await get_staff(db, staff_id)
    if not await insert_ignore(db, StaffRole, {"staff_id": staff_id, "role": role, "granted_at": clock.now()},
                               ["staff_id", "role"]):
        return False
    record_change(db, "staff.role_granted", by, account.username, role=role)
    return True


async def revoke_role(db: AsyncSession, staff_id: int, role: str, *, by: Actor) -> bool:
    """Take ``role`` from the member; False if it did not have it. An administrator keeps its own
    管理员 role (so the console never loses its last way to manage staff by accident)."""
    checked_roles([role])
    if role == ADMIN and by.staff_id == staff_id:
        raise DomainError("staff.self_admin", status_code=409)
    account = await get_staff(db, staff_id)
    result = await db.execute(delete(StaffRole).where(StaffRole.staff_id == staff_id, StaffRole.role == role)
                              .returning(StaffRole.role))
    if result.first() is None:
        return False
    record_change(db, "staff.role_revoked", by, account.username, role=role)
    return True


async def set_roles(db: AsyncSession, staff_id: int, roles: Iterable[str], *, by: Actor) -> frozenset[str]:
    """Grant and revoke so that the member has exactly ``roles`` (at least one)."""
    wanted = set(checked_roles(roles))
    if by.staff_id == staff_id and ADMIN not in wanted:
        raise DomainError("staff.self_admin", status_code=409)
    current = await roles_of(db, staff_id)
    for role in sorted(wanted - current):
        await grant_role(db, staff_id, role, by=by)
    for role in sorted(current - wanted):
        await revoke_role(db, staff_id, role, by=by)
    return frozenset(wanted)


async def reset_totp(db: AsyncSession, staff_id: int, *, by: Actor) -> StaffAccount:
    """Forget the member's authenticator (a lost phone): it enrols again at its next sign-in, and
    its sessions end. The last step goes too: it belonged to the old secret."""
    account = await get_staff(db, staff_id)
    await db.execute(update(StaffAccount).where(StaffAccount.id == staff_id)
                     .values(totp_secret_encrypted=None, totp_enrolled_at=None, totp_last_step=None))
    await end_sessions_of(db, staff_id)
    record_change(db, "staff.totp_reset", by, account.username)
    return account
