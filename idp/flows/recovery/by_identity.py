"""1 信息验证 by identity data (姓名、身份证号码、身份证有效期): checking and counting the answers.

None of these data is secret (twenty years of start dates are tried in minutes), so wrong
answers count like wrong passwords (OWASP ASVS 4.0 V2.2.1): against the account, with the same
lock and the same 用户解锁 (idp.accounts.lockout), and against the source address, which is
then refused for a while (idp.limits). An unknown ID number gets the wrong answer's message; the
lock message tells no more than registration's "证件号码已存在" already does.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from idp.accounts.lockout import is_locked, record_failure
from idp.accounts.models import Account
from idp.audit.log import record
from idp.errors import DomainError
from idp.flows.login.transitions import locked_refusal
from idp.flows.recovery.forms import CITIZEN_ID, IdentityForm, normalise_name
from idp.limits.rates import give_back, hit
from idp.settings import Settings


def identity_matches(account: Account, form: IdentityForm) -> bool:
    """Name, ID number and validity exactly as registered; the end date only when not 长期."""
    if account.id_type != CITIZEN_ID or normalise_name(account.name) != form.name:
        return False
    if account.id_valid_from != form.valid_from:
        return False
    if form.valid_to is None:
        return bool(account.id_long_term)
    return not account.id_long_term and account.id_valid_to == form.valid_to


ADDRESS_LIMIT = "recovery_identity_per_address"


async def count_address_attempt(db: AsyncSession, settings: Settings, source_ip: str | None) -> DomainError | None:
    """Count the attempt for its source address first (the count is undone if the answer is
    right): parallel attempts cannot all pass the check before any is counted. Returns the
    refusal when the address has used up its wrong answers for the window."""
    try:
        await hit(db, settings, ADDRESS_LIMIT, source_ip, message_id="recovery.identity_too_many")
    except DomainError as refusal:
        return refusal
    return None


async def forgive_address_attempt(db: AsyncSession, settings: Settings, source_ip: str | None) -> None:
    """A right answer is no guess: it leaves the address's count as it was."""
    await give_back(db, settings, ADDRESS_LIMIT, source_ip)


async def check_answer(
    db: AsyncSession, settings: Settings, account: Account | None, form: IdentityForm, source_ip: str | None
) -> tuple[DomainError | None, str]:
    """None for the right answer of an unlocked account; else the refusal and the reason the
    audit log records. A wrong answer for an account counts one failure, which may lock it."""
    mismatch = DomainError("recovery.identity_mismatch")  # one message, whatever datum was wrong
    if account is None:
        return mismatch, "wrong_answer"
    if is_locked(account):  # checked before the answer: a locked account learns nothing
        return locked_refusal(account.locked_until), "locked"
    if identity_matches(account, form):
        return None, "matched"
    failure = await record_failure(db, settings, account.id)
    if failure.locked_now and failure.locked_until:
        record(db, "account.locked", actor=account.subject, source_ip=source_ip, failures=failure.failures,
               locked_until=failure.locked_until.isoformat(), subject=account.subject)
    if failure.locked_until is not None:
        return locked_refusal(failure.locked_until), "wrong_answer"
    return mismatch, "wrong_answer"
