"""Helpers for the 注销账号 tests: the two steps in a signed-in browser (password, then the code
sent to the mobile and the confirmation), and the account as stored."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.portal import PASSWORD, Browser
from tests.support.space import code_sent_to

CLOSE = "/space/settings/close"


async def ask_code(browser: Browser, password: str = PASSWORD) -> httpx.Response:
    page = await browser.go(CLOSE)
    return await browser.submit(page, CLOSE, current_password=password)


def flow_of(response: httpx.Response) -> str:
    return parse_qs(urlsplit(str(response.url)).query)["flow"][0]


async def confirm(browser: Browser, page: httpx.Response, code: str, *, confirmed: bool = True) -> httpx.Response:
    fields = {"code": code} | ({"confirm": "yes"} if confirmed else {})
    return await browser.submit(page, CLOSE + "/confirm", **fields)


async def close(put, browser: Browser, mobile: str) -> httpx.Response:
    """Both steps with the right password and code: the page the browser ends on."""
    page = await ask_code(browser)
    assert page.status_code == 200 and 'id="code-form"' in page.text, page.text[:500]
    return await confirm(browser, page, await code_sent_to(put, mobile))
