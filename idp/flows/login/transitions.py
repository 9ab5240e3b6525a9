"""The steps of one login attempt, in the order they run (each raises DomainError to refuse):

captcha → account lookup → lock → password (counting a failure, which may lock) → accept
(clear the count, rehash) → session. Every step that can race is one conditional UPDATE.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.lockout import is_locked, record_failure
from idp.accounts.models import Account, AccountType
from idp.audit.log import record, record_now
from idp.captcha.store import consume_captcha
from idp.errors import DomainError
from idp.flows.login.forms import LEGAL, SINGLE, LoginForm
from idp.inbox.notes import note_new_login_place
from idp.limits.rates import hit_each
from idp.oidc.logout.single_logout import end_session_everywhere
from idp.oidc.sessions_acr import ACR_PASSWORD, AMR_PASSWORD, AMR_PASSWORD_TOTP
from idp.personal_data.columns import bound_values, equals_bound
from idp.portal import Portal
from idp.principals.models import Agency
from idp.sessions.places import is_new_place
from idp.sessions.store import ActiveSession, reauthenticate, start_session
from shared.identity import InvalidIdentifier, looks_like_mobile, validate_citizen_id, validate_mobile

# 法人登录 takes legal persons and agents (personal accounts a legal person authorized: which
# enterprise they act for is settled after the password, idp.flows.login.agent_choice).
# A staff deployment's single window takes officials only (and they no other window).
WINDOW_ACCOUNT_TYPES = {LEGAL: (AccountType.legal_person, AccountType.personal), SINGLE: (AccountType.official,)}


@dataclass(frozen=True)
class Attempt:
    """What the audit log records about one login attempt."""

    client_id: str | None
    source_ip: str | None
    window: str
    device: str | None = None  # idp.sessions.devices: shown on 登录设备


def next_url(row) -> str:
    """Where the browser goes after the login: back into the authorization, to a local page the
    login was started for (e.g. /sso/<client_id>), or to the user's space."""
    if row.client_id:
        return f"/authorize/resume?interaction={row.id}"
    return row.request.get("return_to") or "/space"


async def spend_attempt(portal: Portal, form: LoginForm, attempt: Attempt) -> Account | None:
    """Count the attempt against the login rate limits, then consume the captcha, right or wrong,
    so every guess costs a hit and a new captcha — both before the password is checked, in one
    transaction committed before the answer is known (a wrong captcha or password still
    counted). An exhausted budget refuses before the captcha is touched (nothing counted, the
    captcha still good), as when the two were separate transactions. With the captcha right,
    the account the login name stands for (:func:`find_account`), read in the same transaction."""
    async with portal.sessionmaker.begin() as db:
        await hit_each(db, portal.settings, ("login_per_address", attempt.source_ip),
                       ("login_per_account", f"{form.window}:{form.login_name}"))
        problem = await consume_captcha(db, form.captcha_id, form.captcha_answer)
        account = None if problem is not None else await find_account(db, form.window, form.login_name)
    if problem is not None:
        raise DomainError(problem)
    return account


def login_keys(window: str, login_name: str) -> list[tuple[str, str]]:
    """The lookups a login name stands for in a window, most specific first: (column, value).

    法人登录 and a staff deployment's single window take usernames only (a mobile number there is
    just an unknown username);
    个人登录 also takes an ID number (15 digits converted to 18) or a mobile number."""
    username = ("username", login_name.lower())
    if window in (LEGAL, SINGLE):
        return [username]
    keys = []
    if looks_like_mobile(login_name):
        keys.append(("personal_mobile", validate_mobile(login_name)))
    else:
        try:
            keys.append(("personal_id_number", validate_citizen_id(login_name)))
        except InvalidIdentifier:
            pass
    return keys + [username]


@functools.cache
def account_by(column: str, account_types: tuple[AccountType, ...]) -> Select:
    """The account of one type among ``account_types`` whose ``column`` has the bound ``value``
    (a blind-indexed one compared as its ``==`` would), built once per column and window."""
    return select(Account).where(equals_bound(getattr(Account, column), "value"),
                                 Account.account_type.in_(account_types))


async def find_account(db: AsyncSession, window: str, login_name: str) -> Account | None:
    # A name with control characters (a NUL breaks a PostgreSQL query) matches no account.
    if not login_name or not login_name.isprintable() or len(login_name) > 64:
        return None
    account_types = WINDOW_ACCOUNT_TYPES.get(window, (AccountType.personal,))
    for column, value in login_keys(window, login_name):
        account = await db.scalar(account_by(column, account_types), bound_values("value", value))
        if account is not None:
            return account if account.disabled_at is None else None
    return None


def locked_refusal(locked_until) -> DomainError:
    minutes = max(1, math.ceil((locked_until - clock.now()).total_seconds() / 60))
    return DomainError("login.locked", minutes=minutes)


async def refuse_if_locked(portal: Portal, account: Account | None, attempt: Attempt) -> None:
    if account is None or not is_locked(account):
        return
    async with portal.sessionmaker.begin() as db:
        record(db, "login.failed", outcome="failure", actor=account.subject, client_id=attempt.client_id,
               source_ip=attempt.source_ip, reason="locked", window=attempt.window, subject=account.subject)
    raise locked_refusal(account.locked_until)


async def check_password(portal: Portal, account: Account | None, password: str, attempt: Attempt) -> Account:
    """argon2id off the loop; an unknown user is checked against the dummy hash, so the time
    taken does not tell whether the account exists. A wrong password counts a failure."""
    if await portal.passwords.verify(account.password_hash if account else None, password) and account:
        return account
    failure = None
    async with portal.sessionmaker.begin() as db:
        if account is not None:
            failure = await record_failure(db, portal.settings, account.id)
        record(db, "login.failed", outcome="failure", actor=account.subject if account else None,
               client_id=attempt.client_id, source_ip=attempt.source_ip,
               reason="wrong_password" if account else "unknown_login_name", window=attempt.window,
               subject=account.subject if account else None)
        if account is not None and failure is not None and failure.locked_now and failure.locked_until:
            record(db, "account.locked", actor=account.subject, source_ip=attempt.source_ip,
                   failures=failure.failures, locked_until=failure.locked_until.isoformat(),
                   client_id=attempt.client_id, subject=account.subject)
    if failure is not None and failure.locked_until is not None:
        raise locked_refusal(failure.locked_until)
    raise DomainError("login.wrong_credentials")


# Built once: clear the failure count unless a lock is in force (then the lock wins).
CLEAR_FAILURES_UNLESS_LOCKED = (
    update(Account)
    .where(Account.id == bindparam("b_id"),
           or_(Account.locked_until.is_(None), Account.locked_until <= bindparam("b_now")))
    .values(failed_logins=0, failed_window_start=None, locked_until=None)
    .returning(Account.id)
)  # run on the transaction's connection: the ORM's bulk UPDATE machinery has nothing to synchronise


async def accept_login(portal: Portal, account: Account, password: str) -> None:
    """Clear the failure count — unless parallel wrong passwords locked the account while this
    password was being checked: then the lock wins. Rehash when the parameters changed."""
    new_hash = await rehash(portal, account, password)
    async with portal.sessionmaker.begin() as db:
        await accept_in(db, account, new_hash)


async def rehash(portal: Portal, account: Account, password: str) -> str | None:
    """A new hash when the stored one was made with other parameters (argon2 off the loop)."""
    if portal.passwords.needs_rehash(account.password_hash):
        return await portal.passwords.hash(password)
    return None


async def accept_in(db, account: Account, new_hash: str | None) -> None:
    """:func:`accept_login`'s writes, in the caller's transaction (raises the lock's refusal)."""
    now = clock.now()
    connection = await db.connection()
    result = await connection.execute(CLEAR_FAILURES_UNLESS_LOCKED, {"b_id": account.id, "b_now": now})
    if result.first() is None:
        locked_until = await db.scalar(select(Account.locked_until).where(Account.id == account.id))
        raise locked_refusal(locked_until or now)
    if new_hash is not None:
        # Only over the hash that was checked: a password changed meanwhile stays changed.
        await db.execute(update(Account).where(Account.id == account.id,
                                               Account.password_hash == account.password_hash)
                         .values(password_hash=new_hash))


async def log_in(portal: Portal, account: Account, previous: ActiveSession | None, attempt: Attempt,
                 agency: Agency | None = None, password: str | None = None, second_factor: bool = False,
                 amr: list[str] | None = None, acr: str = ACR_PASSWORD) -> str:
    """Start the session; returns the cookie value. The same principal logging in again keeps
    the session (its sid, so the business systems stay logged in); another one — another user,
    or the same person in another capacity (itself, or for another enterprise) — ends the
    previous session everywhere first: the systems saw a different subject.

    With ``password`` the login is accepted here too (:func:`accept_login`), in the session's
    own transaction — one write transaction less per login — or, when a previous session is to
    be ended, before that, so that a lock still wins before anything else changes.
    ``second_factor``: a TOTP code was checked too (amr ``pwd otp mfa``, RFC 8176). ``amr`` and
    ``acr``: how the user was authenticated otherwise (a login through the upstream says so)."""
    if amr is None:
        amr = AMR_PASSWORD_TOTP if second_factor else AMR_PASSWORD
    agency_id = agency.id if agency is not None else None
    same = previous is not None and previous.account.id == account.id and previous.principal.agency_id == agency_id
    new_hash = None
    if password is not None:
        if previous is not None and not same:
            await accept_login(portal, account, password)
            password = None
        else:
            new_hash = await rehash(portal, account, password)
    if previous is not None and not same:
        await end_session_everywhere(portal, previous.sid, reason="new_login", source_ip=attempt.source_ip)
    token = None
    async with portal.sessionmaker.begin() as db:
        if password is not None:
            await accept_in(db, account, new_hash)
        if await is_new_place(db, account.id, attempt.source_ip, attempt.device):
            note_new_login_place(db, account, source_ip=attempt.source_ip, device=attempt.device)
        if same:
            assert previous is not None  # same implies a previous session
            token = await reauthenticate(db, previous, amr=amr, acr=acr,
                                         source_ip=attempt.source_ip, device=attempt.device)
        if token is None:
            token, _ = await start_session(db, portal.settings, account, amr=amr, acr=acr,
                                           source_ip=attempt.source_ip, agency_id=agency_id, device=attempt.device)
        await record_now(db, "login.succeeded", actor=account.subject, client_id=attempt.client_id,
               source_ip=attempt.source_ip, window=attempt.window,
               acting_as=agency.subject if agency is not None else None, subject=account.subject)
    return token
