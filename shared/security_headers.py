"""Pure ASGI middleware adding the headers every response carries, JSON answers and errors
included, for the portal and the business systems alike: no framing (RFC 9700 §4.16), no MIME
sniffing of an API's JSON as a page (OWASP ASVS 4.0 §14.4.4), no referrer leakage (§4.2.4), and
in production mode HSTS (RFC 6797; ASVS 14.4.5), so that after one https visit a browser never
sends a session cookie or an authorization request over plain http.
Pages add their own Content-Security-Policy and cache headers."""
from __future__ import annotations

ALWAYS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
# One year (the minimum for browsers' preload lists); never outside production: a developer's
# browser would remember it for 127.0.0.1 and refuse every plain-http service there.
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
# As ASGI carries them (lower-case latin-1 bytes), made once: on the token path Starlette's
# MutableHeaders, built per response, cost more than adding the headers.
RAW_ALWAYS = tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in ALWAYS.items())
RAW_HSTS = (HSTS[0].lower().encode("latin-1"), HSTS[1].encode("latin-1"))
# What every server-rendered page of the portal and the systems adds: only our own resources, no
# framing (RFC 9700 §4.16); forms may lead to another of our servers (a system's logout posts to the
# portal), so form-action allows http(s); pages are never cached (they show personal data).
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'",
    **ALWAYS,
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}


class SecurityHeaders:
    def __init__(self, app, *, hsts: bool = False):
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = message["headers"] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in RAW_ALWAYS if header[0] not in present)
                if self.hsts:  # set, not added: one value whatever a response said
                    if RAW_HSTS[0] in present:
                        headers[:] = [header for header in headers if header[0].lower() != RAW_HSTS[0]]
                    headers.append(RAW_HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
