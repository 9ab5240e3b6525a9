"""The business system verifies the portal's ID token with python-jose before it logs anyone in
(issue 4: a token signed by an unknown key, by the wrong issuer, for another audience, or
expired is refused). The token response passes through a man in the middle that swaps the ID
token for a forged one; the access token (and so at_hash) stays genuine."""
from __future__ import annotations

import base64
import json

import httpx
import pytest

from mock_systems.udi import PROFILE as UDI
from shared.messages import text
from tests.support.forgery import (
    expired,
    hmac_with_public_key,
    portal_key,
    signed_by_portal,
    signed_by_stranger,
    unverified_claims,
)
from tests.support.systems import running_system, sso


class SwapIdToken(httpx.AsyncBaseTransport):
    """Between the system and the portal: replaces the ID token of every token response."""

    def __init__(self, inner: httpx.AsyncBaseTransport, forge):
        self.inner, self.forge = inner, forge

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path != "/token" or response.status_code != 200:
            return response
        body = json.loads(await response.aread())
        body["id_token"] = await self.forge(unverified_claims(body["id_token"]))
        return httpx.Response(200, json=body, headers={"Cache-Control": "no-store"})


async def login_with_forged_token(put, browser, system_database_url, forge) -> tuple[httpx.Response, object]:
    async with running_system(put, UDI, system_database_url,
                              portal_transport=lambda inner: SwapIdToken(inner, forge)) as udi:
        await udi.link(put.account.subject, "udi_demo")
        async with udi.browser() as udi_browser:
            callback = await sso(udi_browser, browser)
            return callback, await udi.logged_in_sessions()


async def test_the_genuine_claims_signed_by_the_portal_key_log_in(put, browser, system_database_url):
    """The control for the refusals below: the swap itself breaks nothing."""
    async def resign(claims):
        return await signed_by_portal(put, claims)

    callback, sessions = await login_with_forged_token(put, browser, system_database_url, resign)
    assert callback.status_code == 303 and len(sessions) == 1


def refusals(put):
    async def unknown_key(claims):
        return signed_by_stranger(claims)

    async def portal_kid_but_not_its_key(claims):
        return signed_by_stranger(claims, kid=(await portal_key(put)).kid)

    async def wrong_issuer(claims):
        return await signed_by_portal(put, {**claims, "iss": "https://evil.example.test"})

    async def other_audience(claims):
        return await signed_by_portal(put, {**claims, "aud": "rp"})

    async def expired_token(claims):
        return await signed_by_portal(put, expired(claims))

    async def hs256_keyed_with_the_public_key(claims):
        return await hmac_with_public_key(put, claims)

    async def another_nonce(claims):
        return await signed_by_portal(put, {**claims, "nonce": "a-nonce-of-another-login"})

    async def no_exp(claims):
        return await signed_by_portal(put, {k: v for k, v in claims.items() if k != "exp"})

    async def a_logout_token(claims):
        return await signed_by_portal(put, claims, typ="logout+jwt")

    return {
        "unknown key": (unknown_key, "unknown signing key"),
        "portal kid, other key": (portal_kid_but_not_its_key, "Signature verification failed"),
        "wrong issuer": (wrong_issuer, "Invalid issuer"),
        "other audience": (other_audience, "Invalid audience"),
        "expired": (expired_token, "expired"),
        "HS256 with the public key": (hs256_keyed_with_the_public_key, "algorithm does not fit the key"),
        "another nonce": (another_nonce, "nonce does not match"),
        "no exp": (no_exp, "missing required key"),
        "typed as a logout token": (a_logout_token, "unexpected token type"),
    }


@pytest.mark.parametrize("case", ["unknown key", "portal kid, other key", "wrong issuer", "other audience", "expired",
                                  "HS256 with the public key", "another nonce", "no exp", "typed as a logout token"])
async def test_a_forged_or_wrong_id_token_is_refused(put, browser, system_database_url, case):
    forge, reason = refusals(put)[case]
    callback, sessions = await login_with_forged_token(put, browser, system_database_url, forge)
    assert callback.status_code == 401
    assert text("system.login.failed") in callback.text
    assert reason in callback.text  # the refusal came from the check this case is about
    assert sessions == []


async def test_an_es256_id_token_is_verified_with_the_ec_key(put, browser, system_database_url):
    async with running_system(put, UDI, system_database_url,
                              client_metadata={"id_token_signed_response_alg": "ES256"}) as udi:
        await udi.link(put.account.subject, "udi_demo")
        async with udi.browser() as udi_browser:
            callback = await sso(udi_browser, browser)
        assert callback.status_code == 303 and len(await udi.logged_in_sessions()) == 1
        (session,) = await udi.logged_in_sessions()
        assert unverified_claims(session.id_token)["sub"] == put.account.subject


async def test_a_key_published_after_the_system_cached_the_jwks_is_fetched(put, browser, system_database_url):
    """The portal rotates its keys: the unknown kid makes the system re-fetch the JWKS once."""
    from idp.keys.store import rotate_keys

    async with running_system(put, UDI, system_database_url) as udi:
        await udi.link(put.account.subject, "udi_demo")
        before = await udi.system.portal.signing_key((await portal_key(put)).kid)  # caches the JWKS
        assert before is not None
        async with put.portal.sessionmaker.begin() as db:
            await rotate_keys(db, put.settings)  # publish lead 0: the new key signs at once
        new_kid = (await portal_key(put)).kid
        assert new_kid != before["kid"]
        async with udi.browser() as udi_browser:
            callback = await sso(udi_browser, browser)
        assert callback.status_code == 303
        (session,) = await udi.logged_in_sessions()
        assert json.loads(base64.urlsafe_b64decode(session.id_token.split(".")[0] + "=="))["kid"] == new_kid
