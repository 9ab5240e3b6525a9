"""账号设置 state changes: one function per change, each checking before it writes.

A refusal raised after a write that must stay (a wrong password or code counted against the
account) is committed by the route: the transaction ends normally and the form shows the message.
"""
from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.lockout import is_locked, record_failure
from idp.accounts.models import Account, AccountType, with_indexes
from idp.accounts.notices import ChangeNotice, change_notice, note_change, send_change_notice
from idp.audit.log import record
from idp.codes.store import send_code, use_code
from idp.errors import DomainError, PageError
from idp.flows.models import Flow
from idp.flows.store import EXPIRED, advance, start_flow
from idp.notify.outbox import deliver_now
from idp.oidc.logout.single_logout import end_account_sessions
from idp.portal import Portal
from idp.sessions.store import ActiveSession
from idp.space.forms import Contact, PasswordChange

CODE_SENT = "code_sent"
DONE = "done"


def _minutes_until(moment: dt.datetime) -> int:
    return max(1, math.ceil((moment - clock.now()).total_seconds() / 60))


async def verify_current_password(portal: Portal, session: ActiveSession, password: str, source_ip: str | None,
                                  *, failed_event: str, reason: str, wrong_message: str) -> None:
    """Re-authentication before a change that could hand the account to whoever holds the
    session (ASVS V7.5.1): argon2id off the event loop, and a wrong password counts as a failed
    login toward the lockout, so a stolen session is no way to guess the password either."""
    account = session.account
    if account.locked_until is not None and is_locked(account):
        raise DomainError("login.locked", minutes=_minutes_until(account.locked_until))
    if await portal.passwords.verify(account.password_hash, password):
        return
    async with portal.sessionmaker.begin() as db:
        failure = await record_failure(db, portal.settings, account.id)
        record(db, failed_event, outcome="failure", actor=account.subject, source_ip=source_ip, reason=reason,
               subject=account.subject)
        if failure.locked_now and failure.locked_until:
            record(db, "account.locked", actor=account.subject, source_ip=source_ip, failures=failure.failures,
                   locked_until=failure.locked_until.isoformat(), subject=account.subject)
    if failure.locked_until is not None:
        raise DomainError("login.locked", minutes=_minutes_until(failure.locked_until))
    raise DomainError(wrong_message)


async def announce_change(portal: Portal, notice: ChangeNotice) -> None:
    """After the change committed: its notice to the old contacts (idp.accounts.notices)."""
    await send_change_notice(portal, notice)


async def change_password(portal: Portal, session: ActiveSession, change: PasswordChange,
                          source_ip: str | None) -> int:
    """New hash, then every other session of the account ends (with its business-system
    logins); this one stays. Returns how many other sessions ended."""
    await verify_current_password(portal, session, change.old_password, source_ip,
                                  failed_event="password.change_failed", reason="wrong_old_password",
                                  wrong_message="settings.old_password_wrong")
    new_hash = await portal.passwords.hash(change.new_password)
    account = session.account
    async with portal.sessionmaker.begin() as db:
        now = clock.now()
        # Conditional on the hash just verified: of two parallel changes only one applies.
        result = await db.execute(
            update(Account).where(Account.id == account.id, Account.password_hash == account.password_hash)
            .values(password_hash=new_hash, password_changed_at=now, updated_at=now).returning(Account.id)
        )
        if result.first() is None:
            raise DomainError("settings.old_password_wrong")
        record(db, "password.changed", actor=account.subject, source_ip=source_ip, sid=session.sid,
               subject=account.subject)
        notice = change_notice(account, "password", now)
        note_change(db, account.id, notice)
    await announce_change(portal, notice)
    return await end_account_sessions(portal, account.id, reason="password_changed", keep_sid=session.sid,
                                      source_ip=source_ip)


async def _check_not_taken(db: AsyncSession, account: Account, contact: Contact, value: str) -> None:
    """个人登录 accepts a mobile number as login name: one personal account per number."""
    if contact.key != "mobile" or account.account_type != AccountType.personal:
        return
    taken = await db.scalar(select(Account.id).where(Account.personal_mobile == value, Account.id != account.id))
    if taken is not None:
        raise DomainError("settings.mobile_taken")


async def request_contact_change(portal: Portal, session: ActiveSession, contact: Contact, value: str,
                                 password: str, browser: str, source_ip: str | None) -> str:
    """The current password first (the mobile and the e-mail are recovery means), then a code
    to the NEW value, the change parked in a flow until it comes back. Returns the flow's id."""
    await verify_current_password(portal, session, password, source_ip,
                                  failed_event=f"account.{contact.key}_change_failed", reason="wrong_password",
                                  wrong_message="settings.current_password_wrong")
    account = session.account
    async with portal.sessionmaker.begin() as db:
        await _check_not_taken(db, account, contact, value)
        # send_code refuses once the new value or the account had its share of codes.
        code_id = await send_code(db, portal.settings, account_id=account.id, purpose=contact.purpose,
                                  channel=contact.channel, destination=value,
                                  also_count=(("codes_per_address", source_ip),))
        flow = start_flow(db, contact.purpose, CODE_SENT, browser, {"value": value, "code_id": code_id})
        flow.account_id = account.id
        record(db, f"account.{contact.key}_change_requested", actor=account.subject, source_ip=source_ip,
               destination=contact.mask(value), subject=account.subject)
    await deliver_now(portal, code_id)  # after the commit: a slow gateway holds no transaction
    return flow.id


def check_flow_owner(flow: Flow, session: ActiveSession) -> None:
    """A flow started by another user of this browser is not this user's to finish."""
    if flow.account_id != session.account.id or flow.state != CODE_SENT:
        raise PageError(EXPIRED)


async def confirm_contact_change(db: AsyncSession, portal: Portal, session: ActiveSession, contact: Contact,
                                 flow: Flow, code: str, source_ip: str | None) -> ChangeNotice:
    """The code came back: the new value is proven and replaces the old one. The code is
    consumed and the flow finished by conditional UPDATEs, so a double submit changes once.
    Returns the notice for the old contacts (:func:`announce_change` once committed)."""
    check_flow_owner(flow, session)
    account = session.account
    value = flow.data["value"]
    await _check_not_taken(db, account, contact, value)
    if not await use_code(db, portal.settings, code_id=flow.data["code_id"], account_id=account.id,
                          purpose=contact.purpose, submitted=code):
        record(db, f"account.{contact.key}_change_failed", outcome="failure", actor=account.subject,
               source_ip=source_ip, reason="wrong_code", subject=account.subject)
        raise DomainError("settings.code_wrong")
    await advance(db, flow, expected=CODE_SENT, to=DONE, finish=True)
    now = clock.now()
    # the blind index (its digest) changes with the encrypted value, in the same UPDATE
    values = with_indexes({contact.key: value, f"{contact.key}_verified_at": now, "updated_at": now})
    if contact.key == "mobile" and account.account_type == AccountType.personal:
        values["personal_mobile"] = value  # the login name of 个人登录 follows the number
    old = getattr(account, contact.key)
    await db.execute(update(Account).where(Account.id == account.id).values(**values))
    record(db, f"account.{contact.key}_changed", actor=account.subject, source_ip=source_ip,
           old=contact.mask(old), new=contact.mask(value), subject=account.subject)
    notice = change_notice(account, contact.key, now, contact.mask(value))
    note_change(db, account.id, notice)
    return notice
