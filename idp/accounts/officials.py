"""Officials (监管人员): the accounts of a staff deployment such as the supervision portal
(综合监管门户), opened by its operators (``idp officials create``), never self-registered.

An official has a unit (单位) and a jurisdiction: the 6-digit administrative division code
(GB/T 2260) of a province (``XX0000``) or of a city (``XXXX00``); the ``supervision`` scope
releases both (docs/claims.md), and the business systems decide by them what it may see.
"""
from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from idp.accounts.models import Account, AccountType
from idp.accounts.service import AccountExists, create_account
from idp.errors import DomainError
from shared.hashing import Passwords
from shared.identity import InvalidIdentifier
from shared.passwords import validate_password

USERNAME = re.compile(r"[a-z][a-z0-9_]{3,31}")
# A province (two digits, then 0000) or a city (four digits, then 00); never 000000.
JURISDICTION = re.compile(r"(?!00)\d{2}(?:0000|(?!00)\d{2}00)")


def check_jurisdiction(code: str) -> str:
    code = code.strip()
    if not JURISDICTION.fullmatch(code):
        raise DomainError("officials.jurisdiction_invalid")
    return code


async def create_official(db: AsyncSession, passwords: Passwords, *, username: str, name: str, unit: str,
                          jurisdiction: str, password: str, actor: str) -> Account:
    """A new official; bad input is refused before anything is written. Its TOTP is enrolled
    at its first login (idp.accounts.totp)."""
    username = username.strip().lower()
    if not USERNAME.fullmatch(username):
        raise DomainError("officials.username_invalid")
    if not name.strip():
        raise DomainError("officials.name_required")
    if not unit.strip():
        raise DomainError("officials.unit_required")
    jurisdiction = check_jurisdiction(jurisdiction)
    try:
        validate_password(password, (username, name))
    except InvalidIdentifier as exc:
        raise DomainError(exc.message_id) from None
    try:
        return await create_account(db, passwords, username=username, password=password, name=name.strip(),
                                    account_type=AccountType.official.value, actor=actor, unit=unit.strip(),
                                    jurisdiction=jurisdiction, realname_level=0)
    except AccountExists:
        raise DomainError("officials.username_taken", username=username) from None
