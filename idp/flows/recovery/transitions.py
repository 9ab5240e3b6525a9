"""忘记密码: one function per state change.

States: IDENTITY (信息验证 by identity data) or REQUEST → CODE (原找回密码方式), then PASSWORD
(设置新密码), then DONE (完成; the flow is finished). Every change names the state it expects
(store.advance), so a double submit or a second tab cannot verify twice or set two passwords.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.lockout import clear_failures
from idp.accounts.models import Account, AccountType
from idp.accounts.notices import change_notice, note_change, send_change_notice
from idp.audit.log import record
from idp.flows.contact_code import CODE, REQUEST, confirm_contact_code, send_contact_code
from idp.flows.contact_forms import ContactForm
from idp.flows.models import Flow
from idp.flows.recovery.by_identity import check_answer, count_address_attempt, forgive_address_attempt
from idp.flows.recovery.forms import IdentityForm
from idp.flows.recovery.states import State
from idp.flows.store import advance
from idp.oidc.logout.single_logout import end_account_sessions
from idp.portal import Portal

KIND = "recovery"
IDENTITY, PASSWORD, DONE = State.IDENTITY, State.PASSWORD, State.DONE
FIRST_STEPS = (IDENTITY, REQUEST, CODE)


async def verify_identity(portal: Portal, flow: Flow, form: IdentityForm, *, source_ip: str | None) -> None:
    """1 信息验证 by identity data: IDENTITY → PASSWORD, for a personal account only. Every
    attempt that fails is counted (by_identity); the refusal is raised once the counts are
    committed."""
    async with portal.sessionmaker.begin() as db:
        account = None
        refusal, reason = await count_address_attempt(db, portal.settings, source_ip), "address_limit"
        if refusal is None:
            account = await db.scalar(select(Account).where(
                Account.personal_id_number == form.id_number, Account.account_type == AccountType.personal,
                Account.disabled_at.is_(None),
            ))
            refusal, reason = await check_answer(db, portal.settings, account, form, source_ip)
        if refusal is None:
            assert account is not None  # check_answer refuses when no account matched
            await forgive_address_attempt(db, portal.settings, source_ip)
            await advance(db, flow, expected=IDENTITY, to=PASSWORD, account_id=account.id, via="identity")
            record(db, "recovery.identity_verified", actor=account.subject, source_ip=source_ip,
                   subject=account.subject)
            return
        record(db, "recovery.identity_failed", outcome="failure", source_ip=source_ip,
               actor=account.subject if account else None, reason=reason,
               subject=account.subject if account else None)
    raise refusal


async def request_recovery_code(portal: Portal, flow: Flow, contact: ContactForm, *, source_ip: str | None) -> None:
    """获取验证码: REQUEST → CODE (a code only if the account matched; the page never says)."""
    await send_contact_code(portal, flow, contact, purpose="recovery", source_ip=source_ip)


async def confirm_recovery_code(portal: Portal, flow: Flow, code: str, *, source_ip: str | None) -> None:
    """验证: CODE → PASSWORD when the code is right."""

    async def to_password(db: AsyncSession, account_id: int) -> None:
        await advance(db, flow, expected=CODE, to=PASSWORD, via="code")
        subject = await db.scalar(select(Account.subject).where(Account.id == account_id))
        record(db, "recovery.code_verified", actor=subject, source_ip=source_ip, channel=flow.data["channel"],
               subject=subject)

    await confirm_contact_code(portal, flow, code, purpose="recovery", source_ip=source_ip, then=to_password)


async def recovered_account_data(portal: Portal, flow: Flow) -> tuple[str | None, ...]:
    """The personal data of the account being recovered, which its new password may not use."""
    async with portal.reader() as db:
        account = await db.get_one(Account, flow.data["account_id"])
    return account.personal_data


async def reset_password(portal: Portal, flow: Flow, password: str, *, source_ip: str | None) -> None:
    """提交: PASSWORD → DONE. The new hash, lockout cleared, then every session of the account
    ends everywhere (its business systems get back-channel logouts)."""
    password_hash = await portal.passwords.hash(password)  # off the loop, before any lock is held
    account_id = flow.data["account_id"]
    now = clock.now()
    async with portal.sessionmaker.begin() as db:
        await advance(db, flow, expected=PASSWORD, to=DONE, finish=True)
        await db.execute(update(Account).where(Account.id == account_id)
                         .values(password_hash=password_hash, password_changed_at=now, updated_at=now))
        await clear_failures(db, account_id)
        account = await db.get_one(Account, account_id)
        record(db, "password.reset", actor=account.subject, source_ip=source_ip, via=flow.data.get("via"),
               subject=account.subject)
        notice = change_notice(account, "password", now)  # a reset is a change the owner must hear of
        note_change(db, account_id, notice)
    await send_change_notice(portal, notice)
    # After the commit: a session started before it used the old password and must end.
    await end_account_sessions(portal, account_id, reason="password_reset", source_ip=source_ip)
