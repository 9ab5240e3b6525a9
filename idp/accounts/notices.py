"""Announcing a change of the password, the mobile or the e-mail (ASVS V7.5.1): to every
contact the account had BEFORE the change and as a note in 我的消息, so that an owner whose
session was stolen hears of it where the thief cannot intercept it. The SMS and e-mails are
queued in the message outbox with the change and sent once it committed (a notice of a change
that rolled back would be false; a failing gateway is retried by the background loop)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import Account
from idp.inbox.store import post_message
from idp.notify.outbox import deliver_all_now, new_message_id, queue_notice
from idp.portal import Portal

WHAT = {"password": "登录密码", "mobile": "手机号", "email": "电子邮箱"}


@dataclass(frozen=True)
class ChangeNotice:
    kind: str  # password_changed | mobile_changed | email_changed (AccountMessage.kind)
    title: str
    body: str
    recipients: tuple[tuple[str, str], ...]  # (channel, address) of the contacts before the change
    message_ids: tuple[str, ...]  # their messages in the outbox, one per recipient


def old_contacts(account: Account) -> tuple[tuple[str, str], ...]:
    """``account`` as loaded before the change: its mobile by SMS, its e-mail by mail."""
    return tuple((channel, address) for channel, address in (("sms", account.mobile), ("email", account.email))
                 if address)


def change_notice(account: Account, what: str, when: dt.datetime, new_masked: str = "") -> ChangeNotice:
    """``new_masked``: the new contact as the settings page masks it (never a password)."""
    to = f"为{new_masked}" if new_masked else ""
    body = (f"【政务服务门户】您的账号{account.username}的{WHAT[what]}"
            f"已于{clock.beijing_text(when)}（北京时间）修改{to}。"
            "如非本人操作，请立即通过“忘记密码”重置密码，并核对账号的手机号和电子邮箱。")
    recipients = old_contacts(account)
    return ChangeNotice(f"{what}_changed", f"{WHAT[what]}修改提醒", body, recipients,
                        tuple(new_message_id() for _ in recipients))


def note_change(db: AsyncSession, account_id: int, notice: ChangeNotice) -> None:
    """The 我的消息 note and the old contacts' messages, in the transaction of the change itself."""
    post_message(db, account_id, notice.kind, notice.title, notice.body)
    for (channel, address), message_id in zip(notice.recipients, notice.message_ids, strict=True):
        queue_notice(db, channel, address, f"政务服务门户{notice.title}", notice.body, message_id=message_id)


async def send_change_notice(portal: Portal, notice: ChangeNotice) -> None:
    """Once the change committed: its queued messages, at once (retried later if a gateway fails)."""
    await deliver_all_now(portal, notice.message_ids)
