"""What the JSON endpoints share (token, introspection, revocation, UserInfo, the binding API,
discovery and the JWKS): one JSON response, never cached (RFC 6749 §5.1) unless it is public
metadata; form bodies without repeated parameters (RFC 6749 §3.2) and client authentication that
leaves an audit trace when it fails.

Layer: protocol, the lowest that may answer HTTP, so the web layer's JSON routers use it too."""
from __future__ import annotations

from urllib.parse import unquote

import orjson
from starlette.requests import Request
from starlette.responses import Response

from idp.audit.log import record
from idp.clients.authentication import ClientAuthFailed, authenticate_client
from idp.clients.registry import ClientInfo
from idp.errors import InvalidRequest, OAuthError
from idp.oidc.client_address import client_ip
from idp.portal import Portal

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
RAW_NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]  # as ASGI carries them
MAX_FIELDS = 1000


class JSONResponse(Response):
    """JSON encoded with orjson: ≈ 10× faster than the standard library on token responses,
    and UTF-8 without escapes as Starlette's own JSONResponse writes it."""

    media_type = "application/json"

    def render(self, content) -> bytes:
        return orjson.dumps(content)


def json_response(body: dict, status_code: int = 200, headers: dict | None = None, *,
                  public_for: int | None = None) -> JSONResponse:
    """Every JSON answer of the portal. Tokens and account data are never stored by a cache
    (RFC 6749 §5.1); only public metadata (``public_for`` seconds: discovery, JWKS) may be."""
    if headers is None and public_for is None:  # a token, a UserInfo or introspection answer
        response = JSONResponse(body, status_code=status_code)
        # The same headers, in the same order, as below; made once instead of encoded per response.
        response.raw_headers = [*RAW_NO_STORE, *response.raw_headers]
        return response
    caching = NO_STORE if public_for is None else {"Cache-Control": f"public, max-age={public_for}"}
    return JSONResponse(body, status_code=status_code, headers={**caching, **headers} if headers else caching)


def error_response(exc: OAuthError) -> JSONResponse:
    return json_response(exc.body(), exc.status_code, exc.headers)


async def read_form(request: Request) -> dict[str, str]:
    """Form parameters; a parameter sent twice is an error (RFC 6749 §3.2)."""
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise InvalidRequest("the body must be application/x-www-form-urlencoded")
    return parse_form(await request.body())


def parse_form(body: bytes) -> dict[str, str]:
    """An urlencoded body as a dict of its non-empty parameters, parsed directly: Starlette's
    form machinery (a streaming multipart-capable parser) cost more than the rest of parsing,
    and urllib's parse_qsl, for the same result (empty pairs skipped, a name without ``=`` a
    blank value, ``+`` a space), about as much again as this loop."""
    fields = body.decode("latin-1").split("&")  # then percent-decoding as UTF-8: what Starlette did
    if len(fields) > MAX_FIELDS:
        raise InvalidRequest("the body has too many parameters")
    form: dict[str, str] = {}
    for field in fields:
        if not field:
            continue
        raw_name, _, raw_value = field.partition("=")
        name = unquote(raw_name.replace("+", " "), errors="replace")
        if name in form:
            raise InvalidRequest(f"parameter {name} was sent more than once")
        value = unquote(raw_value.replace("+", " "), errors="replace")
        if value != "":
            form[name] = value
    return form


async def authenticate(portal: Portal, request: Request, form: dict, endpoint: str) -> ClientInfo:
    try:
        return await authenticate_client(portal, request.headers, form, portal.settings.endpoint(endpoint))
    except ClientAuthFailed as exc:
        async with portal.sessionmaker.begin() as db:
            record(db, "client.authentication_failed", outcome="failure", client_id=exc.client_id,
                   source_ip=client_ip(request), endpoint=endpoint, reason=exc.reason)
        raise
