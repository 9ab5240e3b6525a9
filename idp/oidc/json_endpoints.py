"""What the JSON endpoints share (token, introspection, revocation, UserInfo, the binding API,
discovery and the JWKS): one JSON response, never cached (RFC 6749 §5.1) unless it is public
metadata; form bodies without repeated parameters (RFC 6749 §3.2) and client authentication that
leaves an audit trace when it fails.

Layer: protocol, the lowest that may answer HTTP, so the web layer's JSON routers use it too."""
from __future__ import annotations

from fastapi import Request
from starlette.responses import JSONResponse

from idp.audit.log import record
from idp.clients.authentication import ClientAuthFailed, authenticate_client
from idp.clients.registry import ClientInfo
from idp.errors import InvalidRequest, OAuthError
from idp.oidc.client_address import client_ip
from idp.portal import Portal

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_response(body: dict, status_code: int = 200, headers: dict | None = None, *,
                  public_for: int | None = None) -> JSONResponse:
    """Every JSON answer of the portal. Tokens and account data are never stored by a cache
    (RFC 6749 §5.1); only public metadata (``public_for`` seconds: discovery, JWKS) may be."""
    caching = NO_STORE if public_for is None else {"Cache-Control": f"public, max-age={public_for}"}
    return JSONResponse(body, status_code=status_code, headers={**caching, **(headers or {})})


def error_response(exc: OAuthError) -> JSONResponse:
    return json_response(exc.body(), exc.status_code, exc.headers)


async def read_form(request: Request) -> dict[str, str]:
    """Form parameters; a parameter sent twice is an error (RFC 6749 §3.2)."""
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise InvalidRequest("the body must be application/x-www-form-urlencoded")
    form: dict[str, str] = {}
    for name, value in (await request.form()).multi_items():
        if name in form:
            raise InvalidRequest(f"parameter {name} was sent more than once")
        if isinstance(value, str) and value != "":
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
