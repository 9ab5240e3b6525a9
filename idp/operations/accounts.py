"""The operator's account work, for the console, its API and the CLI: find an account by
username, mobile or ID number (shown masked), unlock it (the login lockout cleared), disable it
(every session ends everywhere, back-channel logout included; its tokens die with it), enable it
again. Each is one conditional UPDATE, so of two operators one acts and the other is told; each
is recorded with the operator as actor and the account as subject."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, not_, or_, select, update

from idp import clock
from idp.account_closure.states import ACTIVE
from idp.accounts.display import mask_id_number, mask_mobile
from idp.accounts.lockout import is_locked
from idp.accounts.models import Account, AccountType
from idp.audit.log import record
from idp.errors import DomainError
from idp.oidc.logout.single_logout import end_account_sessions
from idp.portal import Portal
from shared.identity import InvalidIdentifier, validate_citizen_id

LIMIT = 20


@dataclass(frozen=True)
class AccountView:
    """What the console shows of an account: never the whole ID number or mobile."""

    id: int
    username: str
    name: str
    account_type: str
    id_number: str
    mobile: str
    realname_level: int
    locked: bool
    disabled: bool

    @classmethod
    def of(cls, account: Account) -> AccountView:
        return cls(account.id, account.username, account.name, account.account_type.value,
                   mask_id_number(account.id_number), mask_mobile(account.mobile), account.realname_level,
                   is_locked(account), account.disabled_at is not None)


async def find_accounts(portal: Portal, words: str) -> list[AccountView]:
    words = (words or "").strip()
    if not words or len(words) > 64 or not words.isprintable():
        raise DomainError("ops.search_words")
    keys = [Account.username == words.lower(), Account.mobile_index == words]  # digests (idp.personal_data)
    try:
        keys.append(Account.id_number_index == validate_citizen_id(words))  # blind index
    except InvalidIdentifier:
        pass
    async with portal.reader() as db:
        rows = (await db.scalars(select(Account).where(or_(*keys)).order_by(Account.id).limit(LIMIT))).all()
    return [AccountView.of(row) for row in rows]


async def account_by_id(portal: Portal, account_id: int) -> Account:
    async with portal.reader() as db:
        account = await db.get(Account, account_id)
    if account is None:
        raise DomainError("ops.account_not_found", status_code=404)
    return account


async def unlock_account(portal: Portal, account_id: int, *, actor: str, source_ip: str | None = None) -> Account:
    account = await account_by_id(portal, account_id)
    now = clock.now()
    async with portal.sessionmaker.begin() as db:
        result = await db.execute(
            update(Account).where(Account.id == account_id, Account.locked_until > now)
            .values(failed_logins=0, failed_window_start=None, locked_until=None, updated_at=now)
            .returning(Account.id).execution_options(synchronize_session=False))
        if result.first() is None:
            raise DomainError("ops.account_not_locked", status_code=409)
        record(db, "account.unlocked_by_operator", actor=actor, subject=account.subject, source_ip=source_ip)
    return account


async def disable_account(portal: Portal, account_id: int, *, actor: str, source_ip: str | None = None) -> Account:
    account = await account_by_id(portal, account_id)
    now = clock.now()
    async with portal.sessionmaker.begin() as db:
        result = await db.execute(
            update(Account).where(Account.id == account_id, Account.disabled_at.is_(None))
            .values(disabled_at=now, updated_at=now)
            .returning(Account.id).execution_options(synchronize_session=False))
        if result.first() is None:
            raise DomainError("ops.account_already_disabled", status_code=409)
        record(db, "account.disabled", actor=actor, subject=account.subject, source_ip=source_ip)
    await end_account_sessions(portal, account_id, reason="account_disabled", source_ip=source_ip)
    return account


# A duplicate 二级 account deactivated by 绑定管理 (idp/casework/duplicates.py) gave up its
# personal ID number and mobile to the original account: enabling it again would make two
# personal accounts of one person. Only the disabling of this console is undone here.
DEACTIVATED_DUPLICATE = and_(Account.account_type == AccountType.personal, Account.personal_id_number.is_(None),
                             Account.id_number.is_not(None))


async def enable_account(portal: Portal, account_id: int, *, actor: str, source_ip: str | None = None) -> Account:
    """Undo :func:`disable_account`: the account logs in again (its ended sessions and revoked
    tokens stay ended). A deactivated duplicate is refused, and so is an account its user closed
    (注销, idp.account_closure.states): closing or closed, it is not the operator's to revive."""
    account = await account_by_id(portal, account_id)
    now = clock.now()
    async with portal.sessionmaker.begin() as db:
        result = await db.execute(
            update(Account)
            .where(Account.id == account_id, Account.disabled_at.is_not(None), not_(DEACTIVATED_DUPLICATE),
                   Account.closure_state == ACTIVE)
            .values(disabled_at=None, updated_at=now)
            .returning(Account.id).execution_options(synchronize_session=False))
        if result.first() is None:
            if await db.scalar(select(Account.closure_state).where(Account.id == account_id)) != ACTIVE:
                raise DomainError("ops.account_closed", status_code=409)  # the user's 注销, not the operator's
            duplicate = await db.scalar(select(Account.id).where(Account.id == account_id, DEACTIVATED_DUPLICATE,
                                                                 Account.disabled_at.is_not(None)))
            raise DomainError("ops.account_deactivated_duplicate" if duplicate else "ops.account_not_disabled",
                              status_code=409)
        record(db, "account.enabled", actor=actor, subject=account.subject, source_ip=source_ip)
    return account
