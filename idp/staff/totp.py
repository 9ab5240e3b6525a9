"""The staff console's second factor: TOTP (idp.security.totp) over the staff_accounts row."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from idp.security import totp
from idp.settings import Settings
from idp.staff.models import StaffAccount

ISSUER_NAME = "政务服务门户工作人员"  # what the authenticator app shows above the account
new_secret, matching_step, seal = totp.new_secret, totp.matching_step, totp.seal


def provisioning_uri(secret: str, username: str) -> str:
    return totp.provisioning_uri(secret, username, ISSUER_NAME)


def unseal(settings: Settings, sealed: str) -> str:
    """Refused when sealed with another key: an administrator resets the member's TOTP."""
    return totp.unseal(settings, sealed, "staff.totp_unreadable")


async def claim_step(db: AsyncSession, staff_id: int, sealed: str, step: int, **values) -> bool:
    """The step taken once (idp.security.totp.claim_step) for this member."""
    return await totp.claim_step(db, StaffAccount, StaffAccount.id == staff_id, sealed, step, **values)
