"""Posting a note to an account's 我的消息 and reading them back, always by account: a note is
only ever shown to the account it was posted for."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.inbox.models import AccountMessage

# The page shows the latest notes; paging comes with the full inbox.
PAGE_SIZE = 50


def post_message(db: AsyncSession, account_id: int, kind: str, title: str, body: str) -> None:
    """In the caller's transaction, so the note exists exactly when the change it tells of."""
    db.add(AccountMessage(account_id=account_id, kind=kind, title=title, body=body, created_at=clock.now()))


async def latest_messages(db: AsyncSession, account_id: int, limit: int = PAGE_SIZE) -> list[AccountMessage]:
    """Newest first (``id`` breaks ties between notes of the same instant)."""
    rows = await db.scalars(
        select(AccountMessage).where(AccountMessage.account_id == account_id)
        .order_by(AccountMessage.created_at.desc(), AccountMessage.id.desc()).limit(limit)
    )
    return list(rows.all())
