"""A business system with pages of its own (UDI, pharmacist) run against the fake portal, as its
tests use it: the app with a browser, the local account a portal subject is linked to, and a
browser signed in as one of the system's own staff (mock_systems/common/system_staff.py)."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from sqlalchemy import select

from mock_systems.common import SystemProfile
from mock_systems.common.models import LocalAccount, PortalLink
from tests.support.fake_portal import CAPTCHA, FakePortal, browser_for, system_with_fake_portal
from tests.support.portal import hidden_fields


@contextlib.asynccontextmanager
async def system_app(profile: SystemProfile, database_url: str) -> AsyncIterator:
    """The system against a fake portal of its own, with ``app.state.browser`` (the browser
    open_binding uses by default)."""
    fake = FakePortal(profile.client_id)
    async with system_with_fake_portal(profile, fake, database_url) as app:
        async with browser_for(app, app.state.system.settings.base_url) as browser:
            app.state.browser = browser
            yield app


async def linked_account(app, sub: str) -> LocalAccount | None:
    """The system's local account linked to the portal subject ``sub``."""
    async with app.state.system.sessionmaker() as db:
        return await db.scalar(select(LocalAccount).join(PortalLink, PortalLink.local_account_id == LocalAccount.id)
                               .where(PortalLink.portal_subject == sub,
                                      PortalLink.issuer == app.state.system.settings.issuer))


async def staff_signed_in(app, username: str, password: str, *, lands_on: str) -> httpx.AsyncClient:
    """A new browser signed in at the system's /staff/login, landing on ``lands_on``."""
    browser = browser_for(app, app.state.system.settings.base_url)
    page = await browser.get("/staff/login")
    answer = await browser.post("/staff/login", data={**hidden_fields(page.text), "username": username,
                                                      "password": password, "captcha": CAPTCHA})
    assert answer.status_code == 303 and answer.headers["location"] == lands_on, answer.text[:300]
    return browser
