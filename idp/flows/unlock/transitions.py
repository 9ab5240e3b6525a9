"""用户解锁: REQUEST → CODE (获取验证码) → DONE (验证; lockout cleared, the flow finished)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp.accounts.lockout import clear_failures
from idp.accounts.models import Account
from idp.audit.log import record
from idp.flows.contact_code import CODE, confirm_contact_code, send_contact_code
from idp.flows.contact_forms import ContactForm
from idp.flows.models import Flow
from idp.flows.store import advance
from idp.flows.unlock.states import State
from idp.portal import Portal

KIND = "unlock"
DONE = State.DONE


async def request_unlock_code(portal: Portal, flow: Flow, contact: ContactForm, *, source_ip: str | None) -> None:
    """获取验证码: a code only if the login name and the mobile/e-mail match; the page never says."""
    await send_contact_code(portal, flow, contact, purpose="unlock", source_ip=source_ip)


async def unlock_account(portal: Portal, flow: Flow, code: str, *, source_ip: str | None) -> None:
    """验证: the right code clears the failure count and the lock, in the code's transaction."""

    async def unlock(db: AsyncSession, account_id: int) -> None:
        await advance(db, flow, expected=CODE, to=DONE, finish=True)
        await clear_failures(db, account_id)
        subject = await db.scalar(select(Account.subject).where(Account.id == account_id))
        record(db, "unlock.completed", actor=subject, source_ip=source_ip, channel=flow.data["channel"],
               subject=subject)

    await confirm_contact_code(portal, flow, code, purpose="unlock", source_ip=source_ip, then=unlock)
