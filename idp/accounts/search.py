"""Finding the account a request names, for staff (绑定管理): by username, ID number (the
18-digit form; a 15-digit one is converted) or 统一社会信用代码. The result is every account the
words match, so staff see a personal account and an enterprise whose legal representative has
that ID number side by side and choose."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from idp.accounts.models import Account
from shared.identity import InvalidIdentifier, validate_citizen_id

LIMIT = 20


async def find_accounts(db: AsyncSession, words: str) -> list[Account]:
    words = (words or "").strip()
    if not words or len(words) > 64 or not words.isprintable():
        return []
    keys = [Account.username == words.lower(), Account.credit_code == words.upper()]
    try:
        keys.append(Account.id_number_index == validate_citizen_id(words))  # blind index
    except InvalidIdentifier:
        pass
    rows = await db.scalars(select(Account).where(or_(*keys)).order_by(Account.id).limit(LIMIT))
    return list(rows.all())
