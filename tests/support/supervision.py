"""A staff deployment of the provider (the supervision portal, docs/supervision.md) for tests:
its settings, an official, and the login with a TOTP code."""
from __future__ import annotations

import re
from html import unescape

import httpx

from idp.accounts.officials import create_official
from tests.support.portal import PASSWORD, Browser, PortalUnderTest
from tests.support.staff import fresh_code

# What the supervision portal of `make run` sets (deploy/run_local.py).
SUPERVISION_SETTINGS = dict(self_registration=False, login_windows="single", totp_required=True)
SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7]+)</code>')


async def add_official(put: PortalUnderTest, username: str = "zj_official", *, jurisdiction: str = "330000",
                       unit: str = "浙江省药品监督管理局", name: str = "赵监管"):
    async with put.portal.sessionmaker.begin() as db:
        return await create_official(db, put.portal.passwords, username=username, name=name, unit=unit,
                                     jurisdiction=jurisdiction, password=PASSWORD, actor="test")


def enrolment_secret(page: httpx.Response) -> str | None:
    found = SECRET.search(page.text)
    return unescape(found.group(1)) if found else None


async def password_step(browser: Browser, page: httpx.Response, username: str) -> httpx.Response:
    """The single window's form; what follows is the TOTP page."""
    return await browser.submit(page, "/login", username=username, password=PASSWORD, captcha="TEST")


async def code_step(browser: Browser, page: httpx.Response, secret: str | None, code: str | None = None):
    """The TOTP page answered with ``code`` (else a fresh code of ``secret``)."""
    assert 'action="/login/totp"' in page.text, page.text[:500]
    assert code is not None or secret is not None
    return await browser.submit(page, "/login/totp", code=code or await fresh_code(secret or ""))
