"""Helpers for token-endpoint tests: get a code through the browser, redeem it, introspect,
read the audit log. Requests are built by hand so each test controls every parameter."""
from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import httpx
from sqlalchemy import select

from idp.audit.models import AuditEvent
from tests.support.portal import Browser, PortalUnderTest, RegisteredClient, callback_params


def pkce_pair() -> tuple[str, str]:
    """RFC 7636 §4.1–4.2: a 43-character verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def basic(client: RegisteredClient) -> dict[str, str]:
    raw = f"{client.client_id}:{client.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def get_code(
    browser: Browser, client: RegisteredClient, *, scope: str = "openid profile", pkce: bool = True,
    **extra: str,
) -> tuple[str, str | None]:
    """Walk /authorize (logging in when needed); returns (code, code_verifier or None)."""
    params = {"response_type": "code", "client_id": client.client_id, "redirect_uri": client.redirect_uri,
              "scope": scope, "state": secrets.token_urlsafe(8), **extra}
    verifier = None
    if pkce:
        verifier, challenge = pkce_pair()
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params = callback_params(await browser.authorize(params))
    assert "code" in params, params
    return params["code"], verifier


async def token_call(
    put: PortalUnderTest, data: dict, *, client: RegisteredClient | None = None, headers: dict | None = None,
) -> httpx.Response:
    """POST /token; with ``client`` it authenticates by client_secret_basic."""
    all_headers = {"Content-Type": "application/x-www-form-urlencoded", **(basic(client) if client else {}),
                   **(headers or {})}
    async with put.http() as http:
        return await http.post("/token", content=urlencode(data), headers=all_headers)


async def redeem(
    put: PortalUnderTest, client: RegisteredClient, code: str, verifier: str | None, **extra: str
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri, **extra}
    if verifier is not None:
        data["code_verifier"] = verifier
    return await token_call(put, data, client=client)


async def tokens_for(
    put: PortalUnderTest, browser: Browser, client: RegisteredClient, *, scope: str = "openid profile", **extra
) -> dict:
    """A successful code flow: the token response body."""
    code, verifier = await get_code(browser, client, scope=scope, **extra)
    response = await redeem(put, client, code, verifier)
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(put: PortalUnderTest, client: RegisteredClient, token: str, **extra: str) -> httpx.Response:
    return await token_call(put, {"grant_type": "refresh_token", "refresh_token": token, **extra}, client=client)


async def introspect(put: PortalUnderTest, client: RegisteredClient, token: str) -> dict:
    async with put.http() as http:
        response = await http.post("/introspect", data={"token": token}, headers=basic(client))
    assert response.status_code == 200, response.text
    return response.json()


async def userinfo_status(put: PortalUnderTest, access_token: str) -> int:
    async with put.http() as http:
        return (await http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})).status_code


async def audit_events(put: PortalUnderTest, event: str) -> list[AuditEvent]:
    async with put.portal.sessionmaker() as db:
        return list((await db.scalars(select(AuditEvent).where(AuditEvent.event == event))).all())


def assert_oauth_error(response: httpx.Response, error: str, status: int = 400) -> None:
    """RFC 6749 §5.2: a JSON error body, never cached (O21 §3.2.4)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == error
    description = response.json().get("error_description", "")
    assert all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in description), description
