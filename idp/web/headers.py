"""Pure ASGI middleware adding anti-framing headers to every response (RFC 9700 §4.16)."""
from __future__ import annotations

from starlette.datastructures import MutableHeaders

from idp.web.pages import SECURITY_HEADERS

ALWAYS = ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")


class FrameProtection:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name in ALWAYS:
                    if name not in headers:
                        headers[name] = SECURITY_HEADERS[name]
            await send(message)

        await self.app(scope, receive, send_with_headers)
