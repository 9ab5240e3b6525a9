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

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from idp.sessions.models import UserSession

# Built once. IS NOT DISTINCT FROM (SQLite: IS): a session without an address or a device
# matches a login without one.
_MINE = UserSession.account_id == bindparam("account_id")
NEW_PLACE = select(
    select(UserSession.sid).where(_MINE, UserSession.source_ip.is_not_distinct_from(bindparam("source_ip")),
                                  UserSession.device.is_not_distinct_from(bindparam("device"))).exists(),
    select(UserSession.sid).where(_MINE).exists(),
)


async def is_new_place(db: AsyncSession, account_id: int, source_ip: str | None, device: str | None) -> bool:
    connection = await db.connection()
    here, before = (await connection.execute(NEW_PLACE, {"account_id": account_id, "source_ip": source_ip,
                                                         "device": device})).one()
    return bool(before) and not here
