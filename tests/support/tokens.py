"""Getting tokens the way a relying party does, for the token-consuming endpoints' tests:
the code flow with PKCE through the browser, client_credentials, and the plain HTTP calls
(userinfo, introspection, revocation, refresh) with client_secret_basic."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from idp import clock
from tests.support.portal import Browser, PortalUnderTest, RegisteredClient, callback_params


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def code_flow(put: PortalUnderTest, browser: Browser, client: RegisteredClient, scope: str = "openid",
                    *, username: str = "zhangsan", claims: dict | None = None) -> dict:
    """Log in as ``username`` (consenting when asked) and redeem the code; the token response."""
    verifier, challenge = pkce_pair()
    params = dict(response_type="code", client_id=client.client_id, redirect_uri=client.redirect_uri, scope=scope,
                  state=secrets.token_urlsafe(8), nonce=secrets.token_urlsafe(8), code_challenge=challenge,
                  code_challenge_method="S256")
    if claims is not None:
        params["claims"] = json.dumps(claims)
    code = callback_params(await browser.authorize(params, username=username))["code"]
    async with put.http() as http:
        response = await http.post("/token", auth=(client.client_id, client.client_secret), data=dict(
            grant_type="authorization_code", code=code, redirect_uri=client.redirect_uri, code_verifier=verifier))
    assert response.status_code == 200, response.text
    return response.json()


async def client_credentials(put: PortalUnderTest, client: RegisteredClient, scope: str = "profile") -> dict:
    async with put.http() as http:
        response = await http.post("/token", auth=(client.client_id, client.client_secret),
                                   data={"grant_type": "client_credentials", "scope": scope})
    assert response.status_code == 200, response.text
    return response.json()


async def post_as(put: PortalUnderTest, client: RegisteredClient, path: str, **form) -> httpx.Response:
    """A form POST authenticated with client_secret_basic (introspection, revocation, token)."""
    async with put.http() as http:
        return await http.post(path, auth=(client.client_id, client.client_secret), data=form)


async def introspect(put: PortalUnderTest, client: RegisteredClient, token: str, **form) -> dict:
    response = await post_as(put, client, "/introspect", token=token, **form)
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(put: PortalUnderTest, client: RegisteredClient, refresh_token: str) -> httpx.Response:
    return await post_as(put, client, "/token", grant_type="refresh_token", refresh_token=refresh_token)


async def userinfo(put: PortalUnderTest, access_token: str) -> httpx.Response:
    async with put.http() as http:
        return await http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})


async def verified_claims(put: PortalUnderTest, token: str) -> dict:
    """Verify a token against the published JWKS, as a relying party would."""
    async with put.http() as http:
        jwks = (await http.get("/jwks")).json()
    return dict(jwt.decode(token, KeySet.import_key_set(jwks)).claims)


def unverified_header(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


_REAL_NOW = clock.now


def shift_clock(monkeypatch, seconds: float) -> None:
    """Make the portal see the real time plus ``seconds`` (idp.clock is the only place that reads it)."""
    monkeypatch.setattr(clock, "now", lambda: _REAL_NOW() + dt.timedelta(seconds=seconds))


def set_clock(monkeypatch, at: dt.datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: at)
