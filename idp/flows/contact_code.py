"""The by-code step that 忘记密码 (原找回密码方式) and 用户解锁 share: 获取验证码, then 验证.

Whoever asks learns nothing about accounts: the code goes out only when the login name and the
mobile or e-mail match one account, yet the flow moves on and the page reads the same in every
case. Without a match the flow holds no code, and wrong guesses are counted in the flow to the
code's own limit, so even the number of tries allowed is the same. The cap on sends counts the
destination and the login name typed whether or not a code went out (and the account when one
did), so its refusal tells no more than the sent-notice does.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import Account
from idp.audit.log import record
from idp.captcha.store import consume_captcha
from idp.codes.models import OneTimeCode
from idp.codes.store import count_send, destination_scopes, send_code, use_code
from idp.errors import DomainError
from idp.flows.contact_forms import CHANNELS, ContactForm
from idp.flows.models import Flow
from idp.flows.store import advance
from idp.notify.outbox import deliver_now
from idp.portal import Portal
from idp.settings import Settings
from shared.identity import InvalidIdentifier, looks_like_mobile, validate_citizen_id, validate_mobile
from shared.messages import text

REQUEST, CODE = "request", "code"


async def use_captcha(portal: Portal, captcha_id: str, answer: str) -> None:
    """Consume the captcha in a transaction of its own: it is spent even when we refuse."""
    async with portal.sessionmaker.begin() as db:
        problem = await consume_captcha(db, captcha_id, answer)
    if problem:
        raise DomainError(problem)


def _login_names(login: str) -> list:
    """用户名、手机号码或身份证号: a username of any account; a mobile or an ID number is a
    login name of personal accounts only (legal persons type their username)."""
    names = [Account.username == login.lower()]
    if looks_like_mobile(login):
        names.append(Account.personal_mobile == validate_mobile(login))
    try:
        names.append(Account.personal_id_number == validate_citizen_id(login))
    except InvalidIdentifier:
        pass
    return names


def _registered(account: Account, channel: str) -> str:
    """The contact the request named; find_account matched the account on it, so it is set."""
    destination = account.mobile if channel == "sms" else account.email
    assert destination is not None
    return destination


def _matches(account: Account, contact: ContactForm) -> bool:
    registered = _registered(account, contact.channel)
    return registered is not None and registered.casefold() == contact.destination.casefold()


async def find_account(db: AsyncSession, contact: ContactForm) -> Account | None:
    """The one account whose login name and registered mobile/e-mail are the ones typed."""
    if not contact.login.isprintable():  # e.g. a NUL, which PostgreSQL cannot even compare
        return None
    accounts = (await db.scalars(
        select(Account).where(or_(*_login_names(contact.login)), Account.disabled_at.is_(None))
    )).all()
    return next((account for account in accounts if _matches(account, contact)), None)


def masked(channel: str, destination: str) -> str:
    if channel == "sms":
        return destination[:3] + "****" + destination[-4:]
    local, _, domain = destination.rpartition("@")
    return local[:1] + "***@" + domain


def sent_notice(settings: Settings, data: dict) -> str:
    """The same sentence whether or not a code went out."""
    return text("contact.code_sent", channel=CHANNELS[data["channel"]],
                destination=masked(data["channel"], data["destination"]),
                minutes=settings.one_time_code_ttl_seconds // 60)


async def send_contact_code(
    portal: Portal, flow: Flow, contact: ContactForm, *, purpose: str, source_ip: str | None
) -> None:
    """获取验证码: REQUEST → CODE, with a code sent only when the account matched.

    Refused with ``code.too_many_sends`` alike in both cases once the destination, the login
    name or the account had its share of sends (idp.codes.store)."""
    login_scope = ("codes_per_login_name", contact.login)
    async with portal.sessionmaker.begin() as db:
        account = await find_account(db, contact)
        code_id = None
        if account is not None:
            code_id = await send_code(
                db, portal.settings, account_id=account.id,
                purpose=purpose, channel=contact.channel, destination=_registered(account, contact.channel),
                also_count=(login_scope, ("codes_per_address", source_ip)),
            )
        else:
            await count_send(db, portal.settings, *destination_scopes(contact.channel, contact.destination),
                             login_scope, ("codes_per_address", source_ip))
        await advance(db, flow, expected=REQUEST, to=CODE, login=contact.login, channel=contact.channel,
                      destination=contact.destination, code_id=code_id,
                      account_id=account.id if account else None, sent_at=clock.now().isoformat(), attempts=0)
        # The audit log is for staff: it may say that nothing matched (never what was typed).
        record(db, f"{purpose}.requested", outcome="success" if account else "failure",
               actor=account.subject if account else None, source_ip=source_ip, channel=contact.channel,
               matched=account is not None, subject=account.subject if account else None)
    if code_id is not None:  # sent once the code is committed: a slow gateway holds no transaction
        await deliver_now(portal, code_id)


async def _real_code_spent(db: AsyncSession, settings: Settings, code_id: str) -> bool:
    row = await db.get(OneTimeCode, code_id)
    return (
        row is None or row.consumed_at is not None or row.expires_at <= clock.now()
        or row.attempts >= settings.one_time_code_max_attempts
    )


async def _decoy_spent(db: AsyncSession, settings: Settings, flow: Flow) -> bool:
    """No code exists: count the try in the flow, to the same limit and lifetime as a code's.

    The flow row is locked while counting (SQLite's writers go one at a time anyway): parallel
    guesses must use up a decoy exactly as fast as a real code, or their answers would tell.
    """
    fresh = await db.scalar(select(Flow.data).where(Flow.id == flow.id).with_for_update())
    flow.data = fresh or flow.data
    attempts = int(flow.data.get("attempts", 0)) + 1
    sent_at = dt.datetime.fromisoformat(flow.data["sent_at"])
    spent = (attempts >= settings.one_time_code_max_attempts
             or sent_at + dt.timedelta(seconds=settings.one_time_code_ttl_seconds) <= clock.now())
    if not spent:
        await advance(db, flow, expected=CODE, to=CODE, attempts=attempts)
    return spent


async def confirm_contact_code(
    portal: Portal, flow: Flow, submitted: str, *, purpose: str, source_ip: str | None,
    then: Callable[[AsyncSession, int], Awaitable[None]],
) -> None:
    """验证: use the code (one conditional UPDATE: of parallel uses exactly one wins) and run
    ``then`` in the same transaction. A wrong code is counted; a spent one sends the flow back
    to REQUEST. Both raise only after the count is committed."""
    settings = portal.settings
    code_id, account_id = flow.data.get("code_id"), flow.data.get("account_id")
    async with portal.sessionmaker.begin() as db:
        if code_id and account_id and await use_code(db, settings, code_id=code_id, account_id=account_id,
                                                     purpose=purpose, submitted=submitted):
            await _mark_proven(db, account_id, flow.data["channel"], flow.data["destination"])
            await then(db, account_id)
            return
        spent = await (_real_code_spent(db, settings, code_id) if code_id else _decoy_spent(db, settings, flow))
        if spent:
            await advance(db, flow, expected=CODE, to=REQUEST, code_id=None, account_id=None)
        subject = await db.scalar(select(Account.subject).where(Account.id == account_id)) if account_id else None
        record(db, f"{purpose}.code_rejected", outcome="failure", source_ip=source_ip, spent=spent, actor=subject,
               subject=subject)
    raise DomainError("code.expired" if spent else "code.wrong")


async def _mark_proven(db: AsyncSession, account_id: int, channel: str, destination: str) -> None:
    """The right code proves the mobile or e-mail it was sent to, if it is still the account's."""
    column = Account.mobile_index if channel == "sms" else Account.email_index  # digests of normalised values
    proven = Account.mobile_verified_at if channel == "sms" else Account.email_verified_at
    await db.execute(update(Account).where(Account.id == account_id, column == destination)
                     .values({proven: clock.now()}))


def contact_values(flow: Flow) -> dict:
    """The 登录账号 / 找回方式 / 手机号或邮箱 a flow was given, to show them again."""
    data = flow.data
    return {"username": data.get("login", ""), "channel": data.get("channel", "sms"),
            "destination": data.get("destination", "")}
