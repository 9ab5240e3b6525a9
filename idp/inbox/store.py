"""Posting a note to an account's 我的消息 and reading them back, always by account: a note is
only ever shown to the account it was posted for.

Reading pages by keyset, newest first: a page is the notes older than the last one shown
(``before``, a note id of the same account), ordered by (created_at, id) — the index
(account_id, created_at) serves the page, the unread count and the cursor alike, with no OFFSET
scan however far back the user pages.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.inbox.models import AccountMessage

PAGE_SIZE = 20


def post_message(db: AsyncSession, account_id: int, kind: str, title: str, body: str) -> None:
    """In the caller's transaction, so the note exists exactly when the change it tells of."""
    db.add(AccountMessage(account_id=account_id, kind=kind, title=title[:200], body=body, created_at=clock.now()))


async def unread_count(db: AsyncSession, account_id: int) -> int:
    """What the header shows beside 我的消息 on every signed-in page."""
    return await db.scalar(select(func.count()).select_from(AccountMessage).where(
        AccountMessage.account_id == account_id, AccountMessage.read_at.is_(None))) or 0


@dataclass(frozen=True)
class Page:
    messages: list[AccountMessage]
    older: int | None  # the ``before`` of the next (older) page; None: this is the last one


async def page_of_messages(db: AsyncSession, account_id: int, before: int | None = None,
                           size: int = PAGE_SIZE) -> Page:
    """Newest first; ``before``: only notes older than that note of this account (another
    account's id, or one that does not exist, gives the first page)."""
    query = select(AccountMessage).where(AccountMessage.account_id == account_id)
    cursor = await db.get(AccountMessage, before) if before is not None else None
    if cursor is not None and cursor.account_id == account_id:
        query = query.where(or_(AccountMessage.created_at < cursor.created_at,
                                and_(AccountMessage.created_at == cursor.created_at, AccountMessage.id < cursor.id)))
    rows = list((await db.scalars(query.order_by(AccountMessage.created_at.desc(), AccountMessage.id.desc())
                                  .limit(size + 1))).all())
    return Page(rows[:size], rows[size - 1].id if len(rows) > size else None)
