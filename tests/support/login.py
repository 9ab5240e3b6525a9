"""Driving the login page in tests: open a window, post one attempt without following the
redirect, read what the page says, and set up a legal-person account."""
from __future__ import annotations

import re
from html import unescape

import httpx
from sqlalchemy import select

from idp.accounts.models import Account
from idp.captcha.providers import TEST_ANSWER
from tests.support.portal import PASSWORD, Browser, PortalUnderTest, hidden_fields

WRONG_CREDENTIALS = "输入的用户名或密码错误"
CAPTCHA_WRONG = "图形验证码错误，请重新输入"
CAPTCHA_EXPIRED = "图形验证码已过期，请刷新后重新输入"
LOCKED = "账号已被锁定"
# A synthetic enterprise from china-identity-vectors.json; its legal representative's ID too.
CREDIT_CODE = "91110105PDY0001752"
ALERT = re.compile(r'<p class="error" role="alert"[^>]*>(.*?)</p>', re.S)


async def add_legal_person(put: PortalUnderTest, username: str = "qiye", **fields) -> Account:
    fields = {"name": "李四", "enterprise_name": "北京测试医疗器械有限公司", "credit_code": CREDIT_CODE,
              "id_type": "居民身份证", "id_number": "440000200501011014", "mobile": "13700137000", **fields}
    return await put.add_account(username, account_type="legal_person", **fields)


async def open_login(browser: Browser, window: str = "personal") -> httpx.Response:
    page = await browser.go(f"/login?window={window}")
    assert page.status_code == 200 and 'action="/login"' in page.text, page.text[:300]
    return page


async def attempt(browser: Browser, page: httpx.Response, login_name: str, password: str = PASSWORD, *,
                  captcha: str = TEST_ANSWER, **fields) -> httpx.Response:
    """One POST of the login form as the page rendered it (its window, captcha id, CSRF token)."""
    data = {**hidden_fields(page.text), "username": login_name, "password": password, "captcha": captcha, **fields}
    return await browser.client.post("/login", data=data)


def alert(page: httpx.Response) -> str:
    found = ALERT.search(page.text)
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def logged_in_to(response: httpx.Response) -> str | None:
    """Where a successful login sends the browser (None when the login page came back)."""
    if response.status_code == 303 and any(h.startswith(("idp_session=", "__Host-idp_session="))
                                           for h in response.headers.get_list("set-cookie")):
        return response.headers["location"]
    return None


async def account_row(put: PortalUnderTest, account_id: int) -> Account:
    async with put.portal.reader() as db:
        return await db.scalar(select(Account).where(Account.id == account_id))
