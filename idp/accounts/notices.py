"""Announcing a change of the password, the mobile or the e-mail (ASVS V7.5.1): to every
contact the account had BEFORE the change and as a note in 我的消息, so that an owner whose
session was stolen hears of it where the thief cannot intercept it."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from idp import clock
from idp.accounts.models import Account
from idp.inbox.store import post_message
from idp.notify.senders import MessageSender

log = logging.getLogger(__name__)
WHAT = {"password": "登录密码", "mobile": "手机号", "email": "电子邮箱"}


@dataclass(frozen=True)
class ChangeNotice:
    account_subject: str  # for the log, which never names an address
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
    body = (f"【政务服务门户】您的账号{account.username}的{WHAT[what]}"
            f"已于{clock.beijing_text(when)}（北京时间）修改{to}。"
            "如非本人操作，请立即通过“忘记密码”重置密码，并核对账号的手机号和电子邮箱。")
    return ChangeNotice(account.subject, f"{what}_changed", f"{WHAT[what]}修改提醒", body, old_contacts(account))


def note_change(db: AsyncSession, account_id: int, notice: ChangeNotice) -> None:
    """The 我的消息 note, in the transaction of the change itself."""
    post_message(db, account_id, notice.kind, notice.title, notice.body)


async def send_change_notice(sessionmaker: async_sessionmaker[AsyncSession], sender: MessageSender,
                             notice: ChangeNotice) -> None:
    """To the old contacts, once the change committed (a notice of a change that rolled back
    would be false). The 我的消息 note went in with the change; a sender that fails here leaves
    the change in place and is logged without the addresses."""
    try:
        async with sessionmaker.begin() as db:  # the development sink stores the messages
            for channel, address in notice.recipients:
                await sender.send(db, channel, address, f"政务服务门户{notice.title}", notice.body)
    except Exception as exc:  # SMTP and gateway errors alike; the change itself stands
        log.warning("change notice %s for %s not sent: %s", notice.kind, notice.account_subject,
                    type(exc).__name__)
