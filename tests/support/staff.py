"""Staff members for tests: ``add_staff`` (enrolled, returns the TOTP secret) and
``staff_sign_in`` through the console's sign-in pages over an httpx client (the portal in
process, tests.support.portal), the way a member's browser does."""
from __future__ import annotations

import asyncio
import contextlib
import re
import time
from html import unescape

import httpx
import pyotp
from sqlalchemy import update

from idp import clock
from idp.captcha.providers import TEST_ANSWER
from idp.portal import Portal
from idp.security import totp
from idp.settings import Settings
from idp.staff.accounts import CLI, create_staff
from idp.staff.models import StaffAccount
from idp.testing.setup import admin_session
from shared.hashing import Passwords
from tests.support.portal import PortalUnderTest, hidden_fields

STAFF_PASSWORD = "Staff@2026pass"
ALERT = re.compile(r'<p class="error" role="alert"[^>]*>(.*?)</p>', re.S)
# The newest step each secret's code was sent for: a console refuses a code of the same step again.
_last_steps: dict[str, int] = {}


@contextlib.asynccontextmanager
async def staff_database(target: PortalUnderTest | Portal | str):
    """(transaction, password hasher, settings) of a portal in process, or of a live portal's
    database by URL (the CLI's way; the live portal has this process's IDP_KEY_ENCRYPTION_KEY)."""
    if isinstance(target, str):
        async with admin_session(target) as db:
            yield db, Passwords(memory_kib=64, time_cost=1), Settings(database_url=target)
        return
    portal = target.portal if isinstance(target, PortalUnderTest) else target
    async with portal.sessionmaker.begin() as db:
        yield db, portal.passwords, portal.settings


async def add_staff(target: PortalUnderTest | Portal | str, username: str, roles, password: str = STAFF_PASSWORD,
                    *, name: str | None = None, enrolled: bool = True) -> str:
    """A staff member with ``roles`` (a role or several) in the portal under test, or in a live
    portal's database given its URL; with TOTP enrolled unless ``enrolled`` is False. Returns its
    base32 TOTP secret ("" when not enrolled: it enrols on the pages)."""
    roles = [roles] if isinstance(roles, str) else list(roles)
    async with staff_database(target) as (db, passwords, settings):
        account = await create_staff(db, passwords, username=username, name=name or f"工作人员{username}",
                                     password=password, roles=roles, by=CLI)
        if not enrolled:
            return ""
        secret = totp.new_secret()
        await db.execute(update(StaffAccount).where(StaffAccount.id == account.id)
                         .values(totp_secret_encrypted=totp.seal(settings, secret), totp_enrolled_at=clock.now()))
    return secret


async def fresh_code(secret: str) -> str:
    """A code of a step not used yet with this secret: the current one, the next one (within the
    allowed drift), or else the current one after waiting for the step to pass."""
    generator = pyotp.TOTP(secret)
    step = generator.timecode(clock.now())
    last = _last_steps.get(secret, -1)
    if step <= last:
        step = last + 1
    while step > generator.timecode(clock.now()) + totp.DRIFT_STEPS:
        await asyncio.sleep(30 - time.time() % 30 + 0.1)
    _last_steps[secret] = step
    return generator.generate_otp(step)


def alert(response: httpx.Response) -> str | None:
    found = ALERT.search(response.text)
    return unescape(found.group(1)).strip() if found else None


async def open_staff_login(client: httpx.AsyncClient) -> httpx.Response:
    page = await client.get("/staff/login")
    assert page.status_code == 200 and 'action="/staff/login"' in page.text, page.text[:300]
    return page


async def post_password(client: httpx.AsyncClient, username: str, password: str = STAFF_PASSWORD,
                        page: httpx.Response | None = None, captcha: str = TEST_ANSWER) -> httpx.Response:
    """The first step as the sign-in page rendered it (its CSRF token and captcha id)."""
    page = page or await open_staff_login(client)
    return await client.post("/staff/login", data={**hidden_fields(page.text), "username": username,
                                                   "password": password, "captcha": captcha})


async def post_code(client: httpx.AsyncClient, code: str, page: httpx.Response | None = None) -> httpx.Response:
    page = page or await client.get("/staff/login/totp")
    assert 'action="/staff/login/totp"' in page.text, page.text[:300]
    return await client.post("/staff/login/totp", data={**hidden_fields(page.text), "code": code})


async def staff_sign_in(client: httpx.AsyncClient, username: str, password: str = STAFF_PASSWORD,
                        secret: str = "") -> None:
    """Sign in to the console (password, then a fresh TOTP code): the client holds the session."""
    response = await post_password(client, username, password)
    assert response.status_code == 303 and response.headers["location"] == "/staff/login/totp", \
        (response.status_code, alert(response))
    response = await post_code(client, await fresh_code(secret))
    assert response.status_code == 303 and response.headers["location"] == "/staff", \
        (response.status_code, alert(response))
