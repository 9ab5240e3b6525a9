"""The stronger check behind real-name level 三级, and the development stand-in for the CTID app
(“CTID”，居民身份证网上功能凭证; docs/behaviours.md, Real-name levels).

An :class:`UpgradeVerifier` asks the ID holder to confirm (``start``) and checks the answer
(``confirm``). :class:`CtidStandIn` plays the app outside production: it sends a one-time
confirmation to the development sink on channel ``ctid``; /dev/ctid shows it as the app would
(idp.dev.ctid, development only), and the user types it into the upgrade page. The confirmation is an
idp.codes.store one-time code: stored as a digest, single use, a few attempts, ten minutes.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from idp.accounts.display import mask_id_number
from idp.accounts.models import Account
from idp.codes.store import send_code, use_code
from idp.settings import Settings

CHANNEL = "ctid"
PURPOSE = "upgrade"


class UpgradeVerifier:
    method = ""

    async def start(self, db: AsyncSession, settings: Settings, account: Account) -> str:
        """Ask the holder of ``account``'s ID to confirm; returns a reference the flow keeps."""
        raise NotImplementedError

    async def confirm(self, db: AsyncSession, settings: Settings, account: Account, reference: str,
                      submitted: str) -> bool:
        """True once, when ``submitted`` is the holder's confirmation for ``reference``."""
        raise NotImplementedError


def holder(account: Account) -> str:
    """How the stand-in addresses the CTID app: the holder's name and masked ID number."""
    return f"{account.name}（{mask_id_number(account.id_number)}）"


class CtidStandIn(UpgradeVerifier):
    method = "ctid"

    async def start(self, db, settings, account) -> str:
        return await send_code(db, settings, account_id=account.id, purpose=PURPOSE,
                               channel=CHANNEL, destination=holder(account))

    async def confirm(self, db, settings, account, reference, submitted) -> bool:
        return await use_code(db, settings, code_id=reference, account_id=account.id, purpose=PURPOSE,
                              submitted=submitted)
