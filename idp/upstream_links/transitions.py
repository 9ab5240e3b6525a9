"""Finding, making and removing links (idp.upstream_links.models), in the caller's transaction.

Linking is one INSERT guarded by the two unique indexes: of two racing first logins of one
upstream identity exactly one links; a savepoint keeps the caller's transaction usable after the
other's refusal. Removing is one conditional DELETE, so a double submit removes once.
"""
from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.upstream_links.models import UpstreamLink


class AlreadyLinked(Exception):
    """The upstream identity or the account has a link already."""


async def link_of_subject(db: AsyncSession, upstream: str, subject: str) -> UpstreamLink | None:
    return await db.scalar(select(UpstreamLink).where(UpstreamLink.upstream == upstream,
                                                      UpstreamLink.subject == subject))


async def link_of_account(db: AsyncSession, upstream: str, account_id: int) -> UpstreamLink | None:
    return await db.scalar(select(UpstreamLink).where(UpstreamLink.upstream == upstream,
                                                      UpstreamLink.account_id == account_id))


async def link(db: AsyncSession, upstream: str, subject: str, account_id: int) -> UpstreamLink:
    """Link, or raise :class:`AlreadyLinked` (either side taken, perhaps by a parallel request)."""
    now = clock.now()
    row = UpstreamLink(upstream=upstream, subject=subject, account_id=account_id, created_at=now, last_login_at=now)
    try:
        async with db.begin_nested():
            db.add(row)
            await db.flush()
    except IntegrityError:
        raise AlreadyLinked(f"{upstream} {subject} or account {account_id} is linked") from None
    return row


async def note_login(db: AsyncSession, link_id: int) -> None:
    await db.execute(update(UpstreamLink).where(UpstreamLink.id == link_id).values(last_login_at=clock.now()))


async def unlink(db: AsyncSession, upstream: str, account_id: int) -> str | None:
    """Remove the account's link; returns the upstream subject it had, None if there was none."""
    result = await db.execute(delete(UpstreamLink).where(UpstreamLink.upstream == upstream,
                                                         UpstreamLink.account_id == account_id)
                              .returning(UpstreamLink.subject))
    return result.scalar()
