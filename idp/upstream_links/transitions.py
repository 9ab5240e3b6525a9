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


async def link(db: AsyncSession, upstream: str, subject: str, account_id: int,
               id_token: str | None = None) -> UpstreamLink:
    """Link, or raise :class:`AlreadyLinked` (either side taken, perhaps by a parallel request)."""
    now = clock.now()
    row = UpstreamLink(upstream=upstream, subject=subject, account_id=account_id, created_at=now, last_login_at=now,
                       id_token=id_token)
    try:
        async with db.begin_nested():
            db.add(row)
            await db.flush()
    except IntegrityError:
        raise AlreadyLinked(f"{upstream} {subject} or account {account_id} is linked") from None
    return row


async def note_login(db: AsyncSession, link_id: int, id_token: str | None) -> None:
    await db.execute(update(UpstreamLink).where(UpstreamLink.id == link_id)
                     .values(last_login_at=clock.now(), id_token=id_token))


async def links_of_account(db: AsyncSession, account_id: int) -> list[UpstreamLink]:
    return list((await db.scalars(select(UpstreamLink).where(UpstreamLink.account_id == account_id)
                                  .order_by(UpstreamLink.id))).all())


async def unlink(db: AsyncSession, link_id: int, account_id: int) -> UpstreamLink | None:
    """Remove this link of this account; returns what it was, None if it was not there (removed
    by a parallel request, or another account's)."""
    result = await db.execute(delete(UpstreamLink).where(UpstreamLink.id == link_id,
                                                         UpstreamLink.account_id == account_id)
                              .returning(UpstreamLink.upstream, UpstreamLink.subject))
    row = result.first()
    return UpstreamLink(upstream=row.upstream, subject=row.subject, account_id=account_id) if row else None
