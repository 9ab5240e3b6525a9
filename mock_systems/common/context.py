"""What one running business system holds (``app.state.system``): its profile and settings,
its database, its HTTP client to the portal, and caches that a restart rebuilds. No login
state lives here: logins in progress and sessions are rows in the system's database."""
from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.responses import Response

from mock_systems.common.models import LocalAccount
from mock_systems.common.portal_client import PortalClient
from mock_systems.common.profile import SystemProfile
from mock_systems.common.settings import SystemSettings
from shared.hashing import Passwords


@dataclass
class SystemContext:
    profile: SystemProfile
    settings: SystemSettings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    portal: PortalClient
    passwords: Passwords
    # A system's own pages, linked from its home page: (path, label), e.g. the drug system's 信息采集.
    home_links: tuple[tuple[str, str], ...] = ()
    # Which trusted provider this context speaks for: "portal", or a second one (providers.py).
    provider: str = "portal"

    @property
    def name(self) -> str:
        return self.profile.display_name

    @staticmethod
    def of_provider(request: Request, name: str) -> SystemContext | None:
        """The context of the trusted provider ``name`` (providers.py), None when the system
        does not trust it."""
        return getattr(request.app.state, "providers", {}).get(name)

    @staticmethod
    def of_issuer(request: Request, issuer: str | None) -> SystemContext | None:
        """The context of the trusted provider whose issuer this is (the first one included)."""
        system: SystemContext = request.app.state.system
        if issuer == system.settings.issuer:
            return system
        return next((c for c in getattr(request.app.state, "providers", {}).values()
                     if c.settings.issuer == issuer), None)

    async def gate(self, request: Request, account: LocalAccount) -> Response | None:
        """The profile's access gate for this logged-in account: None, or the page to show instead."""
        extension = self.profile.extension
        if extension is None or extension.access_gate is None:
            return None
        return await extension.access_gate(request, self, account)
