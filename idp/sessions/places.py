"""Whether a login comes from a new place: an account that has logged in before, never from
this source address with this device (idp.sessions.devices). The login then posts a
``new_login_place`` note to 我的消息 (idp.flows.login.transitions.log_in); the very first login
of an account is no news.

Sessions are never deleted, so "before" is every earlier login — except that logging in again
in the same session (prompt=login, max_age) moves that session's address and device to the new
ones. Both lookups stop at their first row on the account_id index; they are one statement
(two EXISTS), one round trip per login.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp.sessions.models import UserSession


async def is_new_place(db: AsyncSession, account_id: int, source_ip: str | None, device: str | None) -> bool:
    mine = UserSession.account_id == account_id
    seen_here = select(UserSession.sid).where(
        mine, _same(UserSession.source_ip, source_ip), _same(UserSession.device, device)).exists()
    seen_before = select(UserSession.sid).where(mine).exists()
    here, before = (await db.execute(select(seen_here, seen_before))).one()
    return bool(before) and not here


def _same(column, value: str | None):
    return column.is_(None) if value is None else column == value
