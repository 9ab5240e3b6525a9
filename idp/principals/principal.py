"""Who a session, a code or a grant speaks for: an account in its own name, or a person acting
for an enterprise as its agent (经办人). Business systems see :attr:`Principal.subject`."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from idp.accounts.models import Account
from idp.principals.models import Agency


@dataclass(frozen=True)
class Principal:
    account: Account  # who logged in: the legal person, the person, or the agent
    agency: Agency | None = None
    enterprise: Account | None = None  # the legal person an agent acts for

    @property
    def subject(self) -> str:
        return self.agency.subject if self.agency is not None else self.account.subject

    @property
    def agency_id(self) -> int | None:
        return self.agency.id if self.agency is not None else None

    @property
    def is_agent(self) -> bool:
        return self.agency is not None


async def load_principal(db: AsyncSession, account_id: int | None, agency_id: int | None) -> Principal | None:
    """The principal if it is still live: the account enabled and, for an agent, the agency not
    removed and the enterprise enabled. Checked on every use, so a removal takes effect at once."""
    account = await db.get(Account, account_id) if account_id is not None else None
    if account is None or account.disabled_at is not None:
        return None
    if agency_id is None:
        return Principal(account)
    agency = await db.get(Agency, agency_id)
    if agency is None:
        return None
    enterprise = await db.get(Account, agency.enterprise_account_id)
    return live_principal(account, agency_id, agency, enterprise)


def live_principal(account: Account | None, agency_id: int | None, agency: Agency | None,
                   enterprise: Account | None) -> Principal | None:
    """The checks of :func:`load_principal` on rows already fetched (UserInfo gets them in the
    same query as the access token's state)."""
    if account is None or account.disabled_at is not None:
        return None
    if agency_id is None:
        return Principal(account)
    if agency is None or not agency.active or agency.agent_account_id != account.id:
        return None
    if enterprise is None or enterprise.disabled_at is not None:
        return None
    return Principal(account, agency, enterprise)
