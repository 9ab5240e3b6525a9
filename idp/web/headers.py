"""Pure ASGI middleware adding headers to every response: anti-framing (RFC 9700 §4.16), and
in production mode HSTS (RFC 6797; ASVS 14.4.5), so that after one https visit a browser
never sends a session cookie or an authorization request to the portal over plain http."""
from __future__ import annotations

from starlette.datastructures import MutableHeaders

from idp.web.pages import SECURITY_HEADERS

ALWAYS = ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")
# One year (the minimum for browsers' preload lists); never outside production: a developer's
# browser would remember it for 127.0.0.1 and refuse every plain-http service there.
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


class FrameProtection:
    def __init__(self, app, *, hsts: bool = False):
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name in ALWAYS:
                    if name not in headers:
                        headers[name] = SECURITY_HEADERS[name]
                if self.hsts:
                    headers[HSTS[0]] = HSTS[1]
            await send(message)

        await self.app(scope, receive, send_with_headers)
