"""Reading a note: unread → read, once.

Opening 我的消息 marks the notes that page shows as read (docs/helpdesk.md, "For users: 我的消息").
It is one conditional UPDATE (``read_at IS NULL``), so of two tabs opening the page at once
exactly one marks each note: its ``read_at`` is the first reading, never moved, and only that
tab shows the note as new.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.inbox.models import AccountMessage


async def mark_read(db: AsyncSession, account_id: int, message_ids: Iterable[int]) -> set[int]:
    """Mark these notes of this account read; returns those this call marked (the others were
    read already, or are not the account's)."""
    ids = list(message_ids)
    if not ids:
        return set()
    result = await db.execute(update(AccountMessage).where(
        AccountMessage.account_id == account_id, AccountMessage.id.in_(ids), AccountMessage.read_at.is_(None))
        .values(read_at=clock.now()).returning(AccountMessage.id))
    return set(result.scalars().all())
