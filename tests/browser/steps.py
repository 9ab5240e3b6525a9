"""Steps the browser tests share: what a user does on the portal's pages."""
from __future__ import annotations

import contextlib
import re

import pyotp
import pytest
from playwright.async_api import Page

from tests.browser.conftest import STEP_TIMEOUT_MS
from tests.support.live import free_port
from tests.support.live_binding import register_system
from tests.support.live_systems import live_standin, live_system
from tests.support.portal import PASSWORD
from tests.support.staff import STAFF_PASSWORD

# Playwright's objects belong to the loop that made them: the session's (see conftest.py).
ON_BROWSER_LOOP = pytest.mark.asyncio(loop_scope="session")
CAPTCHA = "TEST"  # the test captcha provider's documented answer (IDP_CAPTCHA_PROVIDER=test)
WINDOWS = {"legal": "法人登录", "personal": "个人登录"}


async def choose_window(page: Page, window: str) -> None:
    """Switch the login page to 法人登录 or 个人登录 (a tab: a link to the same page)."""
    tab = page.locator(f"#window-{window}")
    if await tab.get_attribute("aria-current") != "page":
        await tab.click()
        await page.wait_for_url(re.compile(rf"window={window}"))
    assert await tab.get_attribute("aria-current") == "page"


async def log_in(page: Page, username: str, password: str = PASSWORD, *, window: str = "personal",
                 captcha: str = CAPTCHA) -> None:
    """On the login page: choose the window, fill login name, password and captcha, submit."""
    await choose_window(page, window)
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.fill("#captcha", captcha)
    await page.click("#submit")
    await page.wait_for_load_state()


async def login_error(page: Page) -> str:
    return (await page.inner_text("#login-error")).strip()


async def sent_to(page: Page, recipient: str) -> str:
    """The newest message to ``recipient``, read from /dev/messages in a second tab, as a user
    of the development environment would (the development sink stores instead of sending)."""
    tab = await page.context.new_page()
    try:
        await tab.goto("/dev/messages")
        row = tab.locator("#messages tbody tr").filter(has=tab.locator("td.recipient", has_text=recipient)).first
        return await row.locator("td.body").inner_text()
    finally:
        await tab.close()


async def read_code(page: Page, recipient: str, purpose: str) -> str:
    """The newest code sent to ``recipient`` (:func:`sent_to`)."""
    body = await sent_to(page, recipient)
    assert purpose in body, body
    return re.search(r"验证码为(\d{6})", body).group(1)


@contextlib.asynccontextmanager
async def running(portal, databases, tmp_path, module: str, profile, *, host: str = "127.0.0.1"):
    """The business system as a live process beside the test's portal, registered there; under
    ``host`` "localhost" it is another site than the portal on 127.0.0.1 (SameSite cookies)."""
    port = free_port()
    url = f"http://{host}:{port}"
    client = await register_system(portal.database_url, profile.client_id, url, display_name=profile.display_name)
    async with live_system(module, profile, port, tmp_path, issuer=portal.process.issuer, BASE_URL=url,
                           database_url=await databases.empty(), client_secret=client.client_secret) as system:
        yield system


@contextlib.asynccontextmanager
async def running_standin(portal, databases, tmp_path, profile):
    """A generic stand-in (mock_systems/standins) as a live process beside the test's portal."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client = await register_system(portal.database_url, profile.client_id, url, display_name=profile.display_name)
    async with live_standin(profile, port, tmp_path, issuer=portal.process.issuer, BASE_URL=url,
                            database_url=await databases.empty(), client_secret=client.client_secret) as system:
        yield system


def answered(console_errors: list[str], status: int) -> None:
    """The page just shown came with this error status, on purpose (a refused binding is 409, a
    wrong credential 400); the browser reports that as a failed load, which is no fault here."""
    expected = [e for e in console_errors if f"status of {status} " in e]
    assert expected, console_errors
    for entry in expected:
        console_errors.remove(entry)


@contextlib.asynccontextmanager
async def another_browser(chromium, portal, console_errors):
    """A second person at another computer: a browser context of its own."""
    context = await chromium.new_context(base_url=portal.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def staff_sign_in(page: Page, username: str, secret: str) -> None:
    """The staff console's sign-in: password and captcha, then the TOTP code of ``secret``."""
    await page.goto("/staff/login")
    await page.fill("#username", username)
    await page.fill("#password", STAFF_PASSWORD)
    await page.fill("#captcha", CAPTCHA)
    await page.click("#submit")
    await page.fill("#code", pyotp.TOTP(secret).now())
    await page.click("#submit")
    await page.wait_for_url(re.compile(r"/staff$"))
