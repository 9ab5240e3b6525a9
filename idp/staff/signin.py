"""The steps of a staff sign-in, in the order they run (each raises a DomainError to refuse):

captcha → member and lock → password (a wrong one counts a failure, which may lock) → the
session moves to the second factor → TOTP code (enrolment's first code, or a code of the
enrolled authenticator; a wrong or replayed one counts a failure too) → signed in, the count
cleared. Every outcome is in the audit log with the actor ``staff:<username>``.
"""
from __future__ import annotations

import math

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.lockout import count_failure, is_locked
from idp.audit.log import record
from idp.captcha.store import consume_captcha
from idp.errors import DomainError, PageError
from idp.portal import Portal
from idp.staff import totp
from idp.staff.accounts import find_staff
from idp.staff.models import StaffAccount
from idp.staff.sessions import ACTIVE, FACTOR, LoadedSession, advance_session

WRONG_PASSWORD = "login.wrong_credentials"  # the portal's own words: they do not say which was wrong


def actor(username: str) -> str:
    return f"staff:{username}"


def locked_refusal(locked_until) -> DomainError:
    minutes = max(1, math.ceil((locked_until - clock.now()).total_seconds() / 60))
    return DomainError("staff.locked", minutes=minutes)


async def pass_captcha(portal: Portal, captcha_id: str, answer: str) -> None:
    """Consumed first, right or wrong, so every guess costs a new one."""
    async with portal.sessionmaker.begin() as db:
        problem = await consume_captcha(db, captcha_id, answer)
    if problem is not None:
        raise DomainError(problem)


async def refuse_if_locked(portal: Portal, account: StaffAccount, source_ip: str | None, step: str) -> None:
    """A locked member is refused before its password or code is even checked (recorded)."""
    if not is_locked(account):
        return
    async with portal.sessionmaker.begin() as db:
        record(db, "staff.login.failed", outcome="failure", actor=actor(account.username), source_ip=source_ip,
               reason="locked", step=step)
    raise locked_refusal(account.locked_until)


async def count_and_refuse(portal: Portal, account: StaffAccount, source_ip: str | None, *, reason: str,
                           message_id: str) -> None:
    """A failed step: count it toward the lockout, record it (and the lock it sets), refuse."""
    async with portal.sessionmaker.begin() as db:
        failure = await count_failure(db, portal.settings, StaffAccount, account.id)
        record(db, "staff.login.failed", outcome="failure", actor=actor(account.username), source_ip=source_ip,
               reason=reason)
        if failure.locked_now and failure.locked_until is not None:
            record(db, "staff.locked", actor=actor(account.username), source_ip=source_ip,
                   failures=failure.failures, locked_until=failure.locked_until.isoformat())
    if failure.locked_until is not None:
        raise locked_refusal(failure.locked_until)
    raise DomainError(message_id)


async def check_staff_password(portal: Portal, username: str, password: str, source_ip: str | None) -> StaffAccount:
    """The enabled, unlocked member whose password this is. argon2id off the loop; an unknown or
    disabled name is checked against the dummy hash, so the time taken tells nothing."""
    async with portal.reader() as db:
        account = await find_staff(db, username)
    if account is not None and account.disabled_at is None:
        await refuse_if_locked(portal, account, source_ip, "password")
    enabled = account is not None and account.disabled_at is None
    if await portal.passwords.verify(account.password_hash if enabled and account else None, password):
        assert account is not None
        return account
    if enabled and account is not None:
        await count_and_refuse(portal, account, source_ip, reason="wrong_password", message_id=WRONG_PASSWORD)
    async with portal.sessionmaker.begin() as db:
        record(db, "staff.login.failed", outcome="failure", actor=actor((username or "")[:64]), source_ip=source_ip,
               reason="disabled" if account is not None else "unknown_username")
    raise DomainError(WRONG_PASSWORD)


async def to_second_factor(portal: Portal, session: LoadedSession, account: StaffAccount) -> str:
    """The password was right: on to the TOTP step. Returns the new cookie value."""
    async with portal.sessionmaker.begin() as db:
        token = await advance_session(db, session, to=FACTOR, staff_id=account.id)
    if token is None:
        raise PageError("page.expired", status_code=409, detail="staff session moved on")
    return token


async def enrolment_secret(portal: Portal, account_id: int) -> str | None:
    """The secret the member's authenticator is to learn (made on first need, kept until it is
    confirmed or reset, so a reload or a second tab shows the same one); None once enrolled."""
    async with portal.sessionmaker.begin() as db:
        await db.execute(update(StaffAccount)
                         .where(StaffAccount.id == account_id, StaffAccount.totp_enrolled_at.is_(None),
                                StaffAccount.totp_secret_encrypted.is_(None))
                         .values(totp_secret_encrypted=totp.seal(portal.settings, totp.new_secret())))
        sealed, enrolled_at = (await db.execute(
            select(StaffAccount.totp_secret_encrypted, StaffAccount.totp_enrolled_at)
            .where(StaffAccount.id == account_id))).one()
    return totp.unseal(portal.settings, sealed) if enrolled_at is None and sealed else None


async def check_code(portal: Portal, session: LoadedSession, code: str, source_ip: str | None) -> str:
    """The second factor: a code of the member's secret, of a time step newer than the last one
    accepted. Signs in (returns the new cookie value); enrolment counts from this first code."""
    assert session.account is not None and session.stage == FACTOR
    staff_id, now = session.account.id, clock.now()
    async with portal.reader() as db:
        account = await db.get(StaffAccount, staff_id)
    assert account is not None
    await refuse_if_locked(portal, account, source_ip, "totp")
    enrolling = account.totp_enrolled_at is None
    sealed = account.totp_secret_encrypted
    step = totp.matching_step(totp.unseal(portal.settings, sealed), code, now) if sealed else None
    if step is None or sealed is None:
        await count_and_refuse(portal, account, source_ip, reason="wrong_code", message_id="staff.totp_wrong")
    assert step is not None and sealed is not None
    async with portal.sessionmaker.begin() as db:
        claimed = await totp.claim_step(db, staff_id, sealed, step, **({"totp_enrolled_at": now} if enrolling else {}))
        token = await sign_in(db, session, account, source_ip, enrolled=enrolling) if claimed else None
    if not claimed:
        await count_and_refuse(portal, account, source_ip, reason="replayed_code", message_id="staff.totp_replayed")
    assert token is not None
    return token


async def sign_in(db: AsyncSession, session: LoadedSession, account: StaffAccount, source_ip: str | None,
                  *, enrolled: bool) -> str:
    """The writes of a successful sign-in, in the transaction that claimed the code: the count
    cleared unless a lock came in meanwhile (then the lock wins), the session active."""
    now = clock.now()
    cleared = await db.execute(
        update(StaffAccount)
        .where(StaffAccount.id == account.id,
               or_(StaffAccount.locked_until.is_(None), StaffAccount.locked_until <= now))
        .values(failed_logins=0, failed_window_start=None, locked_until=None).returning(StaffAccount.id))
    if cleared.first() is None:
        locked_until = await db.scalar(select(StaffAccount.locked_until).where(StaffAccount.id == account.id))
        raise locked_refusal(locked_until or now)
    token = await advance_session(db, session, to=ACTIVE, staff_id=account.id)
    if token is None:  # a double submit of this session: the other request signed it in
        raise PageError("page.expired", status_code=409, detail="staff session moved on")
    if enrolled:
        record(db, "staff.totp_enrolled", actor=actor(account.username), source_ip=source_ip)
    record(db, "staff.login.succeeded", actor=actor(account.username), source_ip=source_ip)
    return token
