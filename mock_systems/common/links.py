"""Links between portal accounts (their ``sub``) and local accounts: the system's side of
授权绑定. The binding protocol creates and removes them; login through the portal only reads
them here."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.models import LocalAccount, PortalLink


async def linked_account(db: AsyncSession, portal_subject: str) -> tuple[PortalLink, LocalAccount] | None:
    """The link of this portal account and its local account, or None when not bound."""
    row = (await db.execute(
        select(PortalLink, LocalAccount).join(LocalAccount, LocalAccount.id == PortalLink.local_account_id)
        .where(PortalLink.portal_subject == portal_subject)
    )).first()
    return (row[0], row[1]) if row else None
