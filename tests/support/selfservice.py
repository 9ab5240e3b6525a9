"""Helpers for the 用户解锁 and 忘记密码 tests: reading sent codes from the development sink,
comparing pages while ignoring their random tokens, and signing a session in without the
login page (the sessions a password reset must end)."""
from __future__ import annotations

import re
from html import unescape

import httpx
from sqlalchemy import select

from idp.accounts.lockout import record_failure
from idp.accounts.models import Account
from idp.flows.models import Flow
from idp.notify.models import OutboundMessage
from idp.oidc.sessions_acr import ACR_PASSWORD, AMR_PASSWORD
from idp.sessions.store import session_cookie_name, start_session
from tests.support.portal import Browser, PortalUnderTest

CAPTCHA = "TEST"  # the test provider's documented answer
CODE_IN_BODY = re.compile(r"验证码为(\d{6})")
# Values that differ on every page by design: the flow id, CSRF token and captcha id.
RANDOM = re.compile(r'(name="(?:flow|csrf_token|captcha_id)" value=")[^"]*|(/captcha/)[^".]*|(flow=)[A-Za-z0-9_-]+')


def shape(html: str) -> str:
    """The page with its per-request random values blanked: equal shapes read the same to a user."""
    return RANDOM.sub(lambda m: next(g for g in m.groups() if g is not None), html)


def error_of(page: httpx.Response) -> str | None:
    found = re.search(r'<p class="error" role="alert" id="error">(.*?)</p>', page.text, re.S)
    return unescape(found.group(1)) if found else None


def value_of(page: httpx.Response, element_id: str) -> str | None:
    found = re.search(rf'<input [^>]*id="{element_id}"[^>]*>', page.text)
    if found is None:
        return None
    value = re.search(r'value="([^"]*)"', found.group(0))
    return unescape(value.group(1)) if value else ""


def checked(page: httpx.Response, element_id: str) -> bool:
    found = re.search(rf'<input [^>]*id="{element_id}"[^>]*>', page.text)
    return found is not None and " checked" in found.group(0)


def form_action(page: httpx.Response) -> str | None:
    actions = re.findall(r'<form method="post" action="([^"]+)"', page.text)
    assert len(actions) <= 1, "one <form> per step"
    return actions[0] if actions else None


async def outbox(put: PortalUnderTest, recipient: str | None = None) -> list[OutboundMessage]:
    async with put.portal.reader() as db:
        rows = (await db.scalars(select(OutboundMessage).order_by(OutboundMessage.id))).all()
        # the recipient is encrypted (idp.personal_data): compared once read
        return [row for row in rows if recipient is None or row.recipient == recipient]


async def last_code(put: PortalUnderTest, recipient: str) -> str:
    messages = await outbox(put, recipient)
    assert messages, f"no message to {recipient}"
    return CODE_IN_BODY.search(messages[-1].body).group(1)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def account(put: PortalUnderTest, account_id: int) -> Account:
    async with put.portal.reader() as db:
        return await db.get(Account, account_id)


async def flow_of(put: PortalUnderTest, page: httpx.Response) -> Flow:
    flow_id = re.search(r'name="flow" value="([^"]+)"', page.text).group(1)
    async with put.portal.reader() as db:
        return await db.get(Flow, flow_id)


async def lock(put: PortalUnderTest, account_id: int) -> None:
    """Wrong passwords up to the threshold, as the login counts them."""
    for _ in range(put.settings.lockout_threshold):
        async with put.portal.sessionmaker.begin() as db:
            await record_failure(db, put.settings, account_id)


async def request_code(browser: Browser, path: str, *, username: str, channel: str, destination: str,
                       captcha: str = CAPTCHA) -> httpx.Response:
    """From a fresh flow at ``path`` (/unlock or /recovery?way=code) to the page after 获取验证码."""
    page = await browser.go(path)
    assert form_action(page).endswith("/send"), page.text[:500]
    return await browser.submit(page, form_action(page), username=username, channel=channel,
                                destination=destination, captcha=captcha)


async def signed_in(put: PortalUnderTest, account_id: int) -> Browser:
    """A browser holding a live session of the account (started as a login would)."""
    browser = Browser(put)
    async with put.portal.sessionmaker.begin() as db:
        token, _ = await start_session(db, put.settings, await db.get(Account, account_id), amr=AMR_PASSWORD,
                                       acr=ACR_PASSWORD, source_ip=None)
    browser.client.cookies.set(session_cookie_name(put.settings), token)
    return browser
