"""An ASGI middleware: before a request is served, the instance's personal data keys are reloaded
if they are older than ``IDP_KEY_CACHE_SECONDS`` (Portal.refresh_personal_data_keys), so a row that
another instance or ``idp keys reencrypt`` sealed with a new data key can be read here."""
from __future__ import annotations

import time

from starlette.types import ASGIApp, Receive, Scope, Send


class FreshPersonalDataKeys:
    def __init__(self, app: ASGIApp, state) -> None:
        self.app = app
        self.state = state  # the app's state; its portal is set in the lifespan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        portal = getattr(self.state, "portal", None)
        # The age is checked here, before awaiting anything: on nearly every request it is fresh.
        if (scope["type"] == "http" and portal is not None
                and time.monotonic() - portal.personal_keys_loaded_at >= portal.settings.key_cache_seconds):
            await portal.refresh_personal_data_keys()
        await self.app(scope, receive, send)
