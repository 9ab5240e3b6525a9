"""A business system (mock_systems) running in-process beside the in-process portal.

The system reaches the portal through an ``httpx.ASGITransport`` to ``put.app``, and the
portal's back-channel deliveries reach the system the same way (:class:`HostRouter` on
``put.portal.http``), so both sides speak HTTP to each other as deployed, without sockets.
The test plays the browser with two cookie jars: the system's (``SystemUnderTest.browser()``)
and the portal's (:class:`tests.support.portal.Browser`); :func:`sso` walks between them.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import httpx
from sqlalchemy import select

from mock_systems.common import SystemProfile, create_system_app, settings_for
from mock_systems.common.db import utcnow
from mock_systems.common.models import LinkKind, LocalAccount, PortalLink, WebSession
from tests.support.portal import ISSUER, Browser, PortalUnderTest, RegisteredClient

CAPTCHA = "TEST"  # the test captcha answer of the systems under test


class HostRouter(httpx.AsyncBaseTransport):
    """Sends each request to the ASGI app registered for its host, else to ``fallback``."""

    def __init__(self, fallback: httpx.AsyncBaseTransport | None = None):
        self.apps: dict[str, httpx.AsyncBaseTransport] = {}
        self.fallback = fallback

    def add(self, base_url: str, app) -> None:
        self.apps[urlsplit(base_url).netloc] = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.apps.get(request.url.netloc.decode()) or self.fallback
        if transport is None:
            raise httpx.ConnectError(f"nothing listens on {request.url.host}", request=request)
        return await transport.handle_async_request(request)


def portal_router(put: PortalUnderTest) -> HostRouter:
    """The portal's outgoing HTTP, routed to the systems under test by host; every other
    relying party is still put.systems / put.backchannel, as in running_portal."""
    router = getattr(put, "systems_router", None)
    if router is None:
        def others(request: httpx.Request) -> httpx.Response:  # as running_portal routes them
            return (put.systems if put.systems.handles(request) else put.backchannel).handler(request)

        router = put.systems_router = HostRouter(httpx.MockTransport(others))
        put.portal.http = httpx.AsyncClient(transport=router)
    return router


@dataclass
class SystemUnderTest:
    app: object
    profile: SystemProfile
    base_url: str
    client: RegisteredClient

    @property
    def system(self):
        return self.app.state.system

    def browser(self, **kwargs) -> httpx.AsyncClient:
        """A browser's cookie jar for this system; redirects are left to the test."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=self.base_url, **kwargs)

    async def account(self, username: str) -> LocalAccount:
        async with self.system.sessionmaker() as db:
            return await db.scalar(select(LocalAccount).where(LocalAccount.username == username))

    async def link(self, portal_subject: str, username: str, kind: LinkKind = LinkKind.bound_existing) -> None:
        """Link a portal account to a local account directly in the system's database."""
        account = await self.account(username)
        async with self.system.sessionmaker.begin() as db:
            db.add(PortalLink(issuer=self.system.settings.issuer, portal_subject=portal_subject,
                               local_account_id=account.id, kind=kind,
                              linked_at=utcnow()))

    async def logged_in_sessions(self) -> list[WebSession]:
        """Live sessions with someone logged in."""
        async with self.system.sessionmaker() as db:
            return list((await db.scalars(select(WebSession).where(
                WebSession.ended_at.is_(None), WebSession.account_id.is_not(None)))).all())


async def register_system(put: PortalUnderTest, profile: SystemProfile, base_url: str,
                          **metadata) -> RegisteredClient:
    """The system as a client of the portal, with its endpoints at ``base_url``."""
    return await put.add_client(
        profile.client_id, display_name=profile.display_name, redirect_uris=[f"{base_url}/auth/callback"],
        post_logout_redirect_uris=[f"{base_url}/"], backchannel_logout_uri=f"{base_url}/auth/backchannel-logout",
        initiate_login_uri=f"{base_url}/auth/login", grant_types=["authorization_code", "refresh_token"],
        **metadata,
    )


@contextlib.asynccontextmanager
async def running_system(put: PortalUnderTest, profile: SystemProfile, database_url: str, *,
                         client_metadata: dict | None = None, portal_transport=None, **overrides):
    """The system registered with the portal (plus ``client_metadata``) and started with
    settings ``overrides``; ``portal_transport`` wraps its way to the portal if given."""
    base_url = f"https://{profile.client_id}.systems.example.test"
    client = await register_system(put, profile, base_url, **(client_metadata or {}))
    settings = settings_for(profile, **{
        "issuer": ISSUER, "base_url": base_url, "database_url": database_url, "client_secret": client.client_secret,
        "captcha_provider": "test", "captcha_test_answer": CAPTCHA, "argon2_memory_kib": 64,
        "argon2_time_cost": 1, "jwks_refetch_seconds": 0, **overrides,
    })
    transport = portal_transport(put.transport()) if portal_transport else put.transport()
    app = create_system_app(profile, settings, http=httpx.AsyncClient(transport=transport))
    async with app.router.lifespan_context(app):
        portal_router(put).add(base_url, app)
        yield SystemUnderTest(app, profile, base_url, client)


async def sso(system_browser: httpx.AsyncClient, portal: Browser, start: str = "/auth/login", *,
              username: str | None = "zhangsan") -> httpx.Response:
    """Log in to the system through the portal: the system's redirect to /authorize, the portal's
    pages (login when asked), and the system's answer to the callback."""
    to_portal = await system_browser.get(start)
    assert to_portal.status_code == 303, to_portal.text[:300]
    authorize = urlsplit(to_portal.headers["location"])
    assert f"{authorize.scheme}://{authorize.netloc}" == ISSUER, to_portal.headers["location"]
    back = await portal.authorize(dict(parse_qsl(authorize.query)), username=username)
    assert back.is_redirect, back.text[:300]
    return await system_browser.get(back.headers["location"])
