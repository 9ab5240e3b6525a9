"""Pure ASGI middleware adding the headers every response carries, JSON answers and errors
included, for the portal and the business systems alike: no framing (RFC 9700 §4.16), no MIME
sniffing of an API's JSON as a page (OWASP ASVS 4.0 §14.4.4), no referrer leakage (§4.2.4).
Pages add their own Content-Security-Policy and cache headers."""
from __future__ import annotations

from starlette.datastructures import MutableHeaders

ALWAYS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
