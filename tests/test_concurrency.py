"""Races at the single-use points of the protocol, against the in-process portal with real
commits on separate connections (SQLite under WAL with BEGIN IMMEDIATE, or PostgreSQL).

Each race fires its requests with asyncio.gather so they interleave in the database; a
"database is locked" or a deadlock would surface as an exception or a 500 and fail the test.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from idp.captcha.providers import TEST_ANSWER
from idp.clients.models import ClientAssertionJti
from idp.oidc.models import AuthorizationCode
from idp.sessions.store import session_cookie_name
from tests.support.portal import ISSUER, PASSWORD, callback_params, hidden_fields

VERIFIER = "concurrency-test-verifier-" + "x" * 30
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def authorize_params(client, scope: str = "openid profile offline_access") -> dict:
    return {
        "response_type": "code", "client_id": client.client_id, "redirect_uri": client.redirect_uri,
        "scope": scope, "state": "st-123", "nonce": "n-456",
        "code_challenge": CHALLENGE, "code_challenge_method": "S256",
    }


async def get_code(browser, client) -> str:
    return callback_params(await browser.authorize(authorize_params(client)))["code"]


def code_form(client, code: str) -> dict:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri,
            "code_verifier": VERIFIER}


async def post_many(put, count: int, form: dict, auth=None) -> list:
    """POST the same token request ``count`` times at once, each on its own connection."""
    async with put.http() as http:
        return await asyncio.gather(*(http.post("/token", data=form, auth=auth) for _ in range(count)))


def split_outcomes(responses) -> tuple[list, list]:
    unexpected = [(r.status_code, r.text) for r in responses if r.status_code not in (200, 400, 401)]
    assert not unexpected, unexpected  # no 500 from a locked database
    return [r for r in responses if r.status_code == 200], [r for r in responses if r.status_code != 200]


async def userinfo_status(put, access_token: str) -> int:
    async with put.http() as http:
        return (await http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})).status_code


async def test_parallel_redemptions_of_one_code_issue_tokens_once(put, browser):
    rp = put.rp
    code = await get_code(browser, rp)
    responses = await post_many(put, 50, code_form(rp, code), auth=(rp.client_id, rp.client_secret))
    won, lost = split_outcomes(responses)
    assert len(won) == 1
    assert len(lost) == 49
    assert {(r.status_code, r.json()["error"]) for r in lost} == {(400, "invalid_grant")}
    assert all(r.headers["cache-control"] == "no-store" for r in responses)
    tokens = won[0].json()
    # RFC 6749 §4.1.2: the replays came from the code's own client, so everything the single
    # successful redemption issued is revoked — access token and refresh token alike.
    assert await userinfo_status(put, tokens["access_token"]) == 401
    async with put.http() as http:
        refreshed = await http.post("/token", data={"grant_type": "refresh_token",
                                                    "refresh_token": tokens["refresh_token"]},
                                    auth=(rp.client_id, rp.client_secret))
        assert (refreshed.status_code, refreshed.json()["error"]) == (400, "invalid_grant")
        introspected = await http.post("/introspect", data={"token": tokens["access_token"]},
                                       auth=(rp.client_id, rp.client_secret))
        assert introspected.json() == {"active": False}


async def test_another_clients_replays_leave_the_winners_tokens_alone(put, browser):
    """The denial-of-service guard: racing a code with another client's credentials must not
    revoke the legitimate client's tokens."""
    rp, other = put.rp, await put.add_client("other")
    code = await get_code(browser, rp)
    form = code_form(rp, code)
    async with put.http() as http:
        first = await http.post("/token", data=form, auth=(rp.client_id, rp.client_secret))
        assert first.status_code == 200
        stolen = await asyncio.gather(*(
            http.post("/token", data={**form, "redirect_uri": other.redirect_uri},
                      auth=(other.client_id, other.client_secret))
            for _ in range(20)
        ))
    assert {(r.status_code, r.json()["error"]) for r in stolen} == {(400, "invalid_grant")}
    assert await userinfo_status(put, first.json()["access_token"]) == 200


async def test_parallel_refreshes_of_one_refresh_token_rotate_once(put, browser):
    rp = put.rp
    auth = (rp.client_id, rp.client_secret)
    async with put.http() as http:
        tokens = (await http.post("/token", data=code_form(rp, await get_code(browser, rp)), auth=auth)).json()
    responses = await post_many(put, 50, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                                auth=auth)
    won, lost = split_outcomes(responses)
    assert len(won) == 1
    assert {(r.status_code, r.json()["error"]) for r in lost} == {(400, "invalid_grant")}
    assert len(lost) == 49
    rotated = won[0].json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    # Presenting a rotated-out refresh token is reuse (RFC 9700 §4.14.2): the whole family dies,
    # including what the one winning refresh handed out.
    assert await userinfo_status(put, rotated["access_token"]) == 401
    async with put.http() as http:
        again = await http.post("/token", data={"grant_type": "refresh_token",
                                                "refresh_token": rotated["refresh_token"]}, auth=auth)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


async def test_sequential_refreshes_keep_working_without_a_race(put, browser):
    """The control for the race above: rotation itself does not revoke anything."""
    rp = put.rp
    auth = (rp.client_id, rp.client_secret)
    async with put.http() as http:
        tokens = (await http.post("/token", data=code_form(rp, await get_code(browser, rp)), auth=auth)).json()
        for _ in range(3):
            response = await http.post("/token", data={"grant_type": "refresh_token",
                                                       "refresh_token": tokens["refresh_token"]}, auth=auth)
            assert response.status_code == 200, response.text
            tokens = response.json()
    assert await userinfo_status(put, tokens["access_token"]) == 200


async def test_one_private_key_jwt_assertion_sent_in_parallel_is_accepted_once(put):
    key = RSAKey.generate_key(2048, private=True)
    public = {**key.as_dict(private=False), "kid": "k1", "alg": "RS256", "use": "sig"}
    client = await put.add_client("jwtclient", token_endpoint_auth_method="private_key_jwt",
                                  jwks={"keys": [public]}, grant_types=["client_credentials"], scopes=["profile"])
    now = int(time.time())
    assertion = jwt.encode(
        {"alg": "RS256", "kid": "k1"},
        {"iss": client.client_id, "sub": client.client_id, "aud": f"{ISSUER}/token",
         "iat": now, "exp": now + 120, "jti": "one-and-only-jti"},
        key,
    )
    form = {"grant_type": "client_credentials", "scope": "profile",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion}
    responses = await post_many(put, 20, form)
    won, lost = split_outcomes(responses)
    assert len(won) == 1
    assert {(r.status_code, r.json()["error"]) for r in lost} == {(401, "invalid_client")}
    assert len(lost) == 19
    async with put.portal.reader() as db:
        assert await db.scalar(select(func.count()).select_from(ClientAssertionJti)) == 1


async def test_parallel_resumes_of_one_interaction_issue_one_code(put, browser):
    """A double (or twentyfold) submit after login finishes the interaction once."""
    page = await browser.go("/authorize?" + urlencode(authorize_params(put.rp)))
    data = {"window": "personal", "username": "zhangsan", "password": PASSWORD, "captcha": TEST_ANSWER}
    logged_in = await browser.client.post("/login", data={**hidden_fields(page.text), **data})
    assert logged_in.status_code == 303
    resume = logged_in.headers["location"]
    assert resume.startswith("/authorize/resume")
    responses = await asyncio.gather(*(browser.client.get(resume) for _ in range(20)))
    assert [r.status_code for r in responses if r.status_code not in (303, 400)] == []
    redirects = [r for r in responses if r.status_code == 303]
    assert len(redirects) == 1
    assert redirects[0].headers["location"].startswith(put.rp.redirect_uri + "?code=")
    async with put.portal.reader() as db:
        assert await db.scalar(select(func.count()).select_from(AuthorizationCode)) == 1


async def test_parallel_logins_of_one_account_all_succeed(put, browser):
    """Writers queue for the database instead of failing: twenty logins at once each get
    their own session."""
    pages = [await browser.go("/login") for _ in range(20)]
    forms = [{**hidden_fields(p.text), "window": "personal", "username": "zhangsan", "password": PASSWORD,
              "captcha": TEST_ANSWER} for p in pages]
    async with put.http(cookies=browser.client.cookies) as http:
        responses = await asyncio.gather(*(http.post("/login", data=form) for form in forms))
    assert [r.status_code for r in responses] == [303] * 20
    cookies = {r.cookies.get(session_cookie_name(put.settings)) for r in responses}
    assert None not in cookies and len(cookies) == 20
