"""The system's own accounts: lookup, the credential check, and the demo accounts.

:func:`check_credentials` tells "no such user" from "wrong password" because the binding page
(已有用户的登录授权) must say which (docs/behaviours.md, Binding); the local login page shows one message for both.
"""
from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mock_systems.common.context import SystemContext
from mock_systems.common.db import utcnow
from mock_systems.common.models import LocalAccount
from mock_systems.common.profile import DEMO_LOCAL_PASSWORD

MAX_USERNAME = 64


class CredentialsRefused(enum.Enum):
    no_such_user = "no_such_user"
    wrong_password = "wrong_password"


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


async def find_account(db: AsyncSession, username: str) -> LocalAccount | None:
    username = normalise_username(username)
    if not username or len(username) > MAX_USERNAME or not username.isprintable():
        return None  # a NUL cannot even be compared on PostgreSQL
    return await db.scalar(select(LocalAccount).where(LocalAccount.username == username))


async def check_credentials(system: SystemContext, username: str,
                            password: str) -> LocalAccount | CredentialsRefused:
    """The account when the password is right; else why not. The password hash is verified
    off the event loop, and against a dummy hash for an unknown user (same timing)."""
    async with system.sessionmaker() as db:
        account = await find_account(db, username)
    ok = await system.passwords.verify(account.password_hash if account else None, password or "")
    if account is None:
        return CredentialsRefused.no_such_user
    return account if ok else CredentialsRefused.wrong_password


async def create_account(db: AsyncSession, system: SystemContext, *, username: str, password: str | None,
                         display_name: str, organisation: str = "", contact_phone: str = "",
                         enterprise_code: str = "",
                         portal_account_type: str = "") -> LocalAccount:
    password_hash = await system.passwords.hash(password) if password is not None else None
    account = LocalAccount(username=normalise_username(username), password_hash=password_hash,
                           display_name=display_name, organisation=organisation, contact_phone=contact_phone,
                           enterprise_code=enterprise_code,
                           portal_account_type=portal_account_type, created_at=utcnow())
    db.add(account)
    await db.flush()
    return account


def fields_from_claims(claims: dict) -> dict[str, str]:
    """A new account's fields from the portal's claims (docs/claims.md): the name, the
    enterprise's name as the organisation, the mobile number as the contact phone, and who it is
    at the portal (identity_from_claims)."""
    enterprise = claim_object(claims, "enterprise")
    values = {"display_name": claims.get("name") or claims.get("preferred_username") or "政务服务门户用户",
              "organisation": enterprise.get("name") or "", "contact_phone": claims.get("phone_number") or ""}
    return {**{name: str(value)[:100] for name, value in values.items()}, **identity_from_claims(claims)}


PORTAL_ACCOUNT_TYPES = ("legal_person", "agent", "personal")


def claim_object(claims: dict, name: str) -> dict:
    """A claim that is a JSON object (``enterprise``, ``acting_person``); anything else counts as none."""
    value = claims.get(name)
    return value if isinstance(value, dict) else {}


def identity_from_claims(claims: dict) -> dict[str, str]:
    """The account's enterprise (统一社会信用代码) and portal account type from the claims; an
    unknown type counts as none, and only an enterprise account (legal person or agent) has an
    enterprise."""
    account_type = claims.get("account_type")
    account_type = account_type if account_type in PORTAL_ACCOUNT_TYPES else ""
    enterprise = claim_object(claims, "enterprise")
    code = str(enterprise.get("unified_social_credit_code") or "").strip()[:32]
    return {"portal_account_type": account_type,
            "enterprise_code": code if account_type in ("legal_person", "agent") else ""}


def refresh_identity(account: LocalAccount, claims: dict) -> None:
    """At a login through the portal: the account's enterprise and type as the claims say now."""
    for name, value in identity_from_claims(claims).items():
        if getattr(account, name) != value:
            setattr(account, name, value)


async def seed_demo_accounts(system: SystemContext) -> list[str]:
    """The profile's demo accounts, with DEMO_LOCAL_PASSWORD, unless they exist already."""
    created = []
    async with system.sessionmaker.begin() as db:
        for demo in system.profile.demo_accounts:
            if await find_account(db, demo.username) is None:
                await create_account(db, system, username=demo.username, password=DEMO_LOCAL_PASSWORD,
                                     display_name=demo.display_name, organisation=demo.organisation)
                created.append(demo.username)
    return created
