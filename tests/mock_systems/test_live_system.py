"""A business system and the portal as `make run` runs them: separate uvicorn processes with
their own databases, speaking real HTTP; one cookie jar plays the browser (both listen on
127.0.0.1, so their cookie names must not collide)."""
from __future__ import annotations

import asyncio
import time

import pytest

from mock_systems.udi import PROFILE as UDI
from shared.messages import text
from tests.support.live import LiveBrowser, free_port, live_portals, register_account, register_client
from tests.support.live_systems import live_system
from tests.support.portal import hidden_fields


@pytest.fixture
async def browser():
    b = LiveBrowser()
    try:
        yield b
    finally:
        await b.aclose()


async def until_logged_out(browser: LiveBrowser, url: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if 'id="not-logged-in"' in (await browser.go(url)).text:
            return True
        await asyncio.sleep(0.2)
    return False


async def sso(browser: LiveBrowser, system_url: str):
    """From the system to the portal (logging in when asked) and back to the callback."""
    to_portal = await browser.go(f"{system_url}/auth/login")
    assert to_portal.status_code == 303, to_portal.text[:300]
    back = await browser.authorize(to_portal.headers["location"])
    assert back.headers["location"].startswith(f"{system_url}/auth/callback?"), back.headers.get("location")
    return await browser.go(back.headers["location"])


async def test_sso_and_both_logouts_between_a_system_process_and_a_portal_process(databases, browser, tmp_path):
    portal_db, system_db = await databases.fresh(), await databases.empty()
    port = free_port()
    system_url = f"http://127.0.0.1:{port}"
    async with live_portals(portal_db, tmp_path, IDP_CLIENT_CACHE_SECONDS="0") as (portal,):
        # After the portal loaded its catalogue: the udi client, at this test's port.
        client = await register_client(
            portal_db, "udi", rp_base=system_url, redirect_uris=[f"{system_url}/auth/callback"],
            post_logout_redirect_uris=[f"{system_url}/"],
            backchannel_logout_uri=f"{system_url}/auth/backchannel-logout",
            initiate_login_uri=f"{system_url}/auth/login", scopes=["openid", "profile", "identity", "enterprise"])
        account = await register_account(portal_db, "zhangsan")
        async with live_system("udi", UDI, port, tmp_path, issuer=portal.issuer, database_url=system_db,
                               client_secret=client.client_secret) as system:
            not_linked = await sso(browser, system.url)
            assert not_linked.status_code == 403 and text("system.not_linked") in not_linked.text

            await system.link(account.subject, "udi_demo")
            home = await sso(browser, system.url)  # the portal session is still there: no login page
            assert home.status_code == 200, system.log_tail()
            assert 'id="local-username">udi_demo<' in home.text and "政务服务门户单点登录" in home.text
            assert f'id="portal-sub">{account.subject}<' in home.text and 'id="portal-name">张三<' in home.text

            # Logging out at the portal reaches the system over the back channel.
            confirm = await browser.go(f"{portal.url}/logout")
            await browser.go(f"{portal.url}/logout/confirm", method="POST",
                             data={**hidden_fields(confirm.text), "action": "logout"})
            assert await until_logged_out(browser, f"{system.url}/"), system.log_tail()

            # The system's logout button logs out at the portal too and comes back home.
            home = await sso(browser, system.url)
            to_portal = await browser.client.post(f"{system.url}/logout", data=hidden_fields(home.text))
            assert f'<form method="post" action="{portal.issuer}/logout" data-autosubmit>' in to_portal.text
            back = await browser.go(f"{portal.issuer}/logout", method="POST", data=hidden_fields(to_portal.text))
            assert back.status_code == 303 and back.headers["location"] == f"{system.url}/"
            assert 'id="not-logged-in"' in (await browser.go(back.headers["location"])).text
            again = await browser.go(f"{system.url}/auth/login")
            assert 'action="/login"' in (await browser.go(again.headers["location"])).text  # logged out there
