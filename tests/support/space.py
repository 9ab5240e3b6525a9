"""Helpers for the 个人空间 / 法人空间 and 账号设置 tests: a browser that is already logged in
(the login windows have their own tests), the codes the development sink stored, and the
account as the database holds it."""
from __future__ import annotations

import re

from sqlalchemy import select

from idp.accounts.models import Account
from idp.notify.models import OutboundMessage
from idp.sessions.store import session_cookie_name, start_session
from tests.support.portal import ISSUER, Browser, PortalUnderTest

CODE_IN_MESSAGE = re.compile(r"验证码为(\d{6})")
ALERT = re.compile(r'<p class="error" role="alert"[^>]*>([^<]*)</p>')


async def signed_in(put: PortalUnderTest, account: Account, browser: Browser | None = None) -> Browser:
    """A browser holding a fresh login session of ``account`` (as after 登录)."""
    browser = browser or Browser(put)
    async with put.portal.sessionmaker.begin() as db:
        token, _ = await start_session(db, put.settings, account, amr=["pwd"], acr="urn:zwfw:acr:password",
                                       source_ip="127.0.0.1")
    browser.client.cookies.set(session_cookie_name(put.settings), token, domain=ISSUER.split("//")[1], path="/")
    return browser


async def fresh(put: PortalUnderTest, account_id: int) -> Account:
    async with put.portal.sessionmaker() as db:
        return await db.get(Account, account_id)


async def messages_to(put: PortalUnderTest, recipient: str) -> list[OutboundMessage]:
    async with put.portal.sessionmaker() as db:
        return [row for row in (await db.scalars(select(OutboundMessage).order_by(OutboundMessage.id))).all()
                if row.recipient == recipient]  # encrypted: compared once read


async def all_messages(put: PortalUnderTest) -> list[OutboundMessage]:
    async with put.portal.sessionmaker() as db:
        return list((await db.scalars(select(OutboundMessage).order_by(OutboundMessage.id))).all())


async def code_sent_to(put: PortalUnderTest, recipient: str) -> str:
    """The code of the latest message to ``recipient``."""
    sent = await messages_to(put, recipient)
    assert sent, f"no message to {recipient}"
    return CODE_IN_MESSAGE.search(sent[-1].body).group(1)


def alert(html: str) -> str | None:
    """The message a form shows (role=alert), or None."""
    found = ALERT.search(html)
    return found.group(1) if found else None
