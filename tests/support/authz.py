"""Helpers for the authorization-endpoint tests: building requests, reading callbacks and
error pages, redeeming codes, and moving the provider's clock."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.portal import ISSUER, RegisteredClient, callback_params

# RFC 6749 §4.1.2.1 / conformance suite: what an authorization error response may carry.
ERROR_RESPONSE_PARAMETERS = {"error", "error_description", "error_uri", "state", "session_state", "iss"}
# %x20-21 / %x23-5B / %x5D-7E: printable ASCII without " and \.
ERROR_DESCRIPTION = re.compile(r'^[\x20\x21\x23-\x5b\x5d-\x7e]*$')
SESSION_COOKIE = "__Host-idp_session"  # the issuer is https in tests
# A state a careless implementation would mangle, and the 128-character one the suite sends.
NASTY_STATE = 'a b&c=d+e%20f/g?h#i;j,k"l\'m<n>o\\p 状态✓ ~'
LONG_STATE = ("0123456789abcdefABCDEF-._~" * 5)[:128]


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class AuthRequest:
    """One authorization request as a relying party would send it (code flow, PKCE S256)."""

    client: RegisteredClient
    params: dict = field(default_factory=dict)
    verifier: str | None = None

    @classmethod
    def build(cls, client: RegisteredClient, *, pkce: bool = True, **overrides) -> AuthRequest:
        params = {
            "response_type": "code", "client_id": client.client_id, "redirect_uri": client.redirect_uri,
            "scope": "openid", "state": secrets.token_urlsafe(12), "nonce": secrets.token_urlsafe(12),
        }
        verifier = None
        if pkce:
            verifier, challenge = pkce_pair()
            params.update(code_challenge=challenge, code_challenge_method="S256")
        params.update(overrides)
        return cls(client, {k: v for k, v in params.items() if v is not None}, verifier)

    @property
    def state(self) -> str | None:
        return self.params.get("state")


def assert_error_page(response: httpx.Response) -> None:
    """An HTML page, 4xx, and above all no redirect anywhere (RFC 9700 §4.11.2)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.headers.get("location"))
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")


def assert_redirects_to(response: httpx.Response, client: RegisteredClient) -> dict[str, str]:
    """A 303 to exactly the registered URI; returns the query parameters."""
    assert response.status_code == 303, (response.status_code, response.text[:300])
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == client.redirect_uri
    return callback_params(response)


def assert_error_redirect(response: httpx.Response, client: RegisteredClient, error: str,
                          state: str | None) -> dict[str, str]:
    """The checks the conformance suite applies to every authorization error response."""
    params = assert_redirects_to(response, client)
    assert params.get("error") == error, params
    assert "code" not in params
    assert set(params) <= ERROR_RESPONSE_PARAMETERS, params
    assert ERROR_DESCRIPTION.match(params.get("error_description", "")), params
    assert params["iss"] == ISSUER
    if state is None:
        assert "state" not in params
    else:
        assert params["state"] == state
    return params


def assert_code_redirect(response: httpx.Response, client: RegisteredClient, state: str | None) -> str:
    params = assert_redirects_to(response, client)
    assert "error" not in params, params
    assert params["iss"] == ISSUER
    assert params.get("state") == state
    return params["code"]


async def redeem(put, client: RegisteredClient, code: str, verifier: str | None = None) -> dict:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    async with put.http() as http:
        response = await http.post("/token", data=data, auth=(client.client_id, client.client_secret))
    assert response.status_code == 200, response.text
    return response.json()


async def id_token_claims(put, id_token: str) -> dict:
    async with put.http() as http:
        jwks = (await http.get("/jwks")).json()
    return dict(jwt.decode(id_token, KeySet.import_key_set(jwks)).claims)


async def authorize_and_redeem(put, browser, request: AuthRequest, **authorize_kwargs) -> tuple[dict, dict]:
    """Run the request through the browser, redeem the code; returns (ID token claims, tokens)."""
    response = await browser.authorize(request.params, **authorize_kwargs)
    code = assert_code_redirect(response, request.client, request.state)
    tokens = await redeem(put, request.client, code, request.verifier)
    return await id_token_claims(put, tokens["id_token"]), tokens


def has_session_cookie(response: httpx.Response) -> bool:
    return any(h.startswith(SESSION_COOKIE + "=") for h in response.headers.get_list("set-cookie"))


class Clock:
    """Moves ``idp.clock.now`` forward, so tests need not sleep to age a login."""

    def __init__(self, monkeypatch):
        import idp.clock

        self._real = idp.clock.now
        self.offset = dt.timedelta()
        monkeypatch.setattr(idp.clock, "now", lambda: self._real() + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)
