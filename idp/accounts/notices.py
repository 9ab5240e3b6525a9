"""Announcing a change of the password, the mobile or the e-mail (ASVS V7.5.1): to every
contact the account had BEFORE the change and as a note in 我的消息, so that an owner whose
session was stolen hears of it where the thief cannot intercept it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import Account
from idp.inbox.store import post_message
from idp.notify.senders import MessageSender

WHAT = {"password": "登录密码", "mobile": "手机号", "email": "电子邮箱"}


@dataclass(frozen=True)
class ChangeNotice:
    kind: str  # password_changed | mobile_changed | email_changed (AccountMessage.kind)
    title: str
    body: str
    recipients: tuple[tuple[str, str], ...]  # (channel, address) of the contacts before the change


def old_contacts(account: Account) -> tuple[tuple[str, str], ...]:
    """``account`` as loaded before the change: its mobile by SMS, its e-mail by mail."""
    return tuple((channel, address) for channel, address in (("sms", account.mobile), ("email", account.email))
                 if address)


def change_notice(account: Account, what: str, when: dt.datetime, new_masked: str = "") -> ChangeNotice:
    """``new_masked``: the new contact as the settings page masks it (never a password)."""
    to = f"为{new_masked}" if new_masked else ""
    body = (f"【政务服务门户】您的账号{account.username}的{WHAT[what]}已于{clock.beijing_text(when)}（北京时间）修改{to}。"
            "如非本人操作，请立即通过“忘记密码”按身份信息重置密码，并修改手机号和电子邮箱。")
    return ChangeNotice(f"{what}_changed", f"{WHAT[what]}修改提醒", body, old_contacts(account))


def note_change(db: AsyncSession, account_id: int, notice: ChangeNotice) -> None:
    """The 我的消息 note, in the transaction of the change itself."""
    post_message(db, account_id, notice.kind, notice.title, notice.body)


async def send_change_notice(db: AsyncSession, sender: MessageSender, notice: ChangeNotice) -> None:
    for channel, address in notice.recipients:
        await sender.send(db, channel, address, f"政务服务门户{notice.title}", notice.body)
