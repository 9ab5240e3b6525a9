"""Erasing an account's personal data once it is closed (PIPL Art. 47; GB/T 35273 §8.3): the one
place that knows every column and row holding a closed account's personal information.

What is erased: on the account its name, ID data, mobile, e-mail, the enterprise's name and
credit code, the login names of 个人登录 and the password hash (so nothing can log in with it);
the account's 我的消息, its codes, its TOTP secret and its links to the upstream identity
provider (whose subject names the person there; the person may link a new account), the
messages queued or stored for its mobile and e-mail, the addresses and devices of its sessions,
the business-system account names of its bindings, and the contact data and text of its 咨询.
What stays: the row itself with its random ``subject`` (never reused) and its username (kept
reserved, so nobody can register it and pass as the closed account), the ids that tie sessions,
grants, bindings and audit rows to that pseudonymous subject.

Everything goes through ORM attributes, never SQL on the personal columns, so columns stored
encrypted (and their lookup indexes) are cleared by setting the attribute here.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from idp.accounts.models import Account, AccountTotp
from idp.bindings.models import Binding
from idp.codes.models import OneTimeCode
from idp.consultations.models import Consultation
from idp.inbox.models import AccountMessage
from idp.notify.models import OutboundMessage, QueuedMessage
from idp.security.tokens import new_token
from idp.sessions.models import UserSession
from idp.upstream_links.models import UpstreamLink

ERASED_NAME = "已注销用户"
ERASED_TEXT = "（账号已注销，内容已删除）"
NO_PASSWORD = "!closed"  # not an argon2 hash: every verification of it fails


def _erase_account(account: Account) -> list[str]:
    """Blank the account's personal columns; returns the contact addresses it had."""
    contacts = [value for value in (account.mobile, account.email) if value]
    account.name = ERASED_NAME
    account.password_hash = NO_PASSWORD
    for attribute in ("mobile", "email", "id_type", "id_number", "id_number_original", "id_valid_from",
                      "id_valid_to", "personal_id_number", "personal_mobile", "mobile_verified_at",
                      "email_verified_at", "enterprise_name", "credit_code", "unit", "jurisdiction"):
        setattr(account, attribute, None)
    account.id_long_term = False
    return contacts


async def _delete_messages_to(db: AsyncSession, contacts: list[str]) -> None:
    """The messages to these addresses. Their recipient is encrypted (idp.personal_data) with no
    blind index, so the rows are opened and compared here: the outbox holds at most a day of
    messages (the maintenance purges it) and the development sink exists only in development."""
    wanted = set(contacts)
    rows: list[OutboundMessage | QueuedMessage] = [*(await db.scalars(select(OutboundMessage))).all(),
                                                   *(await db.scalars(select(QueuedMessage))).all()]
    for row in rows:
        if row.recipient in wanted:
            await db.delete(row)


async def erase_personal_data(db: AsyncSession, account_id: int) -> None:
    """Erase what the portal holds about ``account_id`` (in the caller's transaction)."""
    account = await db.get_one(Account, account_id)
    contacts = _erase_account(account)
    for model in (AccountMessage, OneTimeCode, AccountTotp, UpstreamLink):
        await db.execute(delete(model).where(model.account_id == account_id))
    if contacts:
        await _delete_messages_to(db, contacts)
    for session in (await db.scalars(select(UserSession).where(UserSession.account_id == account_id))).all():
        session.source_ip = None
        session.device = None
    for binding in (await db.scalars(select(Binding).where(Binding.account_id == account_id))).all():
        binding.local_account = None
    for question in (await db.scalars(select(Consultation).where(Consultation.account_id == account_id))).all():
        question.name, question.id_number, question.mobile, question.email = ERASED_NAME, "", "", ""
        question.title = question.description = ERASED_TEXT
        question.lookup_key = new_token()  # the lookup without login finds it no more
    await db.flush()
