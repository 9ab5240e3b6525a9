"""The TOTP second factor of portal accounts, where the deployment requires it
(IDP_TOTP_REQUIRED: the supervision portal requires it of every account). The code rules and
the replay guard are idp.security.totp's, shared with the staff console; this module keeps an
account's secret (table ``account_totp``) and answers whether a code passes.

Enrolment: the first login after the password makes a secret (kept until confirmed, so a
reload or a second tab shows the same one), the QR code shows it, and the first valid code
confirms it. Afterwards every login asks for a code of a step newer than the last accepted.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import AccountTotp
from idp.db.ops import insert_ignore
from idp.security import totp
from idp.settings import Settings

UNREADABLE = "login.totp_unreadable"


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str  # otpauth://, for the QR code


def issuer_name(settings: Settings) -> str:
    """What the authenticator app shows above the account: this deployment's host."""
    return urlsplit(settings.issuer).netloc or settings.issuer


async def is_enrolled(db: AsyncSession, account_id: int) -> bool:
    return await db.scalar(select(AccountTotp.totp_enrolled_at).where(AccountTotp.account_id == account_id)) \
        is not None


async def enrolment(db: AsyncSession, settings: Settings, account_id: int, username: str) -> Enrolment | None:
    """The secret the account's authenticator is to learn (made on first need, one row per
    account by its primary key); None once enrolled."""
    await insert_ignore(db, AccountTotp, {"account_id": account_id, "created_at": clock.now(),
                                          "totp_secret_encrypted": totp.seal(settings, totp.new_secret())},
                        ["account_id"])
    row = await db.get(AccountTotp, account_id, populate_existing=True)
    if row is None or row.totp_enrolled_at is not None:
        return None
    secret = totp.unseal(settings, row.totp_secret_encrypted, UNREADABLE)
    return Enrolment(secret, totp.provisioning_uri(secret, username, issuer_name(settings)))


async def check_code(db: AsyncSession, settings: Settings, account_id: int, code: str,
                     now: dt.datetime) -> tuple[str, bool]:
    """("passed" | "wrong" | "replayed", whether this code completed the enrolment). A passed
    code's step is taken in this transaction (the conditional UPDATE): the same code again,
    or racing itself, is "replayed"."""
    row = await db.get(AccountTotp, account_id, populate_existing=True)
    if row is None:
        return "wrong", False
    step = totp.matching_step(totp.unseal(settings, row.totp_secret_encrypted, UNREADABLE), code, now)
    if step is None:
        return "wrong", False
    enrolling = row.totp_enrolled_at is None
    claimed = await totp.claim_step(db, AccountTotp, AccountTotp.account_id == account_id,
                                    row.totp_secret_encrypted, step,
                                    **({"totp_enrolled_at": now} if enrolling else {}))
    return ("passed", enrolling) if claimed else ("replayed", False)


async def reset(db: AsyncSession, account_id: int) -> bool:
    """Forget the account's authenticator (a lost phone): it enrols again at its next login."""
    result = await db.execute(delete(AccountTotp).where(AccountTotp.account_id == account_id)
                              .returning(AccountTotp.account_id))
    return result.first() is not None
