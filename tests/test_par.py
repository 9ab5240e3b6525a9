"""Pushed authorization requests (RFC 9126): the PAR endpoint authenticates the client and
validates the request as /authorize would; the request_uri is good once, for a short time, for
the client that pushed it; a client (or the whole portal) can require pushed requests."""
from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from idp.maintenance import purge_expired
from idp.oidc.client_registration import ClientConfigError, check_client_fields
from idp.oidc.models import PushedRequest
from tests.support.authz import AuthRequest, Clock, assert_code_redirect, assert_error_page, assert_redirects_to
from tests.support.portal import ISSUER, RP, running_portal
from tests.support.token_flows import assert_oauth_error, basic, redeem

URN = "urn:ietf:params:oauth:request_uri:"


async def push(put, client, params: dict, *, auth: bool = True):
    headers = basic(client) if auth else {}
    async with put.http() as http:
        return await http.post("/par", data=params, headers=headers)


async def pushed(put, request: AuthRequest) -> str:
    response = await push(put, request.client, request.params)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["request_uri"].startswith(URN) and body["expires_in"] == 60
    return body["request_uri"]


async def test_a_pushed_request_logs_in_with_only_client_id_and_request_uri(put, browser):
    request = AuthRequest.build(put.rp, scope="openid profile")
    request_uri = await pushed(put, request)
    # §4: what else the query says is not the request (another state, a foreign redirect_uri).
    response = await browser.authorize({"client_id": put.rp.client_id, "request_uri": request_uri,
                                        "state": "not-this-one", "redirect_uri": "https://evil.example/cb"})
    code = assert_code_redirect(response, put.rp, request.state)
    tokens = await redeem(put, put.rp, code, request.verifier)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["scope"] == "openid profile"


async def test_a_request_uri_is_good_once(put, browser):
    request_uri = await pushed(put, AuthRequest.build(put.rp))
    query = urlencode({"client_id": put.rp.client_id, "request_uri": request_uri})
    assert (await browser.go("/authorize?" + query)).status_code == 200  # the login page
    again = await browser.go("/authorize?" + query)
    assert_error_page(again)
    assert "登录请求已失效或已使用" in again.text


async def test_of_parallel_uses_of_one_request_uri_exactly_one_proceeds(put):
    request_uri = await pushed(put, AuthRequest.build(put.rp))
    query = "/authorize?" + urlencode({"client_id": put.rp.client_id, "request_uri": request_uri})
    async with put.http() as http:
        responses = await asyncio.gather(*(http.get(query) for _ in range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] + [400] * 7, statuses
    assert [r for r in responses if r.status_code == 303][0].headers["location"].startswith("/login?interaction=")


async def test_a_request_uri_is_bound_to_the_client_that_pushed_it(put, browser):
    other = await put.add_client("other")
    request_uri = await pushed(put, AuthRequest.build(put.rp))
    stolen = await browser.go("/authorize?" + urlencode({"client_id": "other", "request_uri": request_uri}))
    assert_error_page(stolen)
    assert other.client_id == "other"
    # The owner's use still works: the other client's attempt used nothing up.
    owner = await browser.go("/authorize?" + urlencode({"client_id": put.rp.client_id, "request_uri": request_uri}))
    assert owner.status_code == 200 and 'action="/login"' in owner.text


async def test_a_request_uri_expires(put, browser, monkeypatch):
    clock = Clock(monkeypatch)
    request_uri = await pushed(put, AuthRequest.build(put.rp))
    clock.advance(61)
    late = await browser.go("/authorize?" + urlencode({"client_id": put.rp.client_id, "request_uri": request_uri}))
    assert_error_page(late)


async def test_an_unknown_request_uri_is_the_portals_page_not_a_redirect(put, browser):
    response = await browser.go("/authorize?" + urlencode({"client_id": put.rp.client_id,
                                                           "request_uri": URN + "made-up"}))
    assert_error_page(response)


@pytest.mark.parametrize("change, error", [
    ({"redirect_uri": f"{RP}/not-registered"}, "invalid_request"),
    ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),  # PKCE is required
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"request_uri": URN + "x"}, "invalid_request"),  # §2.1: request_uri cannot be pushed
    ({"client_id": "someone-else"}, "invalid_request"),
    ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
    ({"prompt": "none login"}, "invalid_request"),
])
async def test_a_request_that_authorize_would_refuse_is_refused_when_pushed(put, change, error):
    request = AuthRequest.build(put.rp, **change)
    response = await push(put, put.rp, request.params)
    assert_oauth_error(response, error)


async def test_the_par_endpoint_authenticates_the_client_as_the_token_endpoint_does(put):
    request = AuthRequest.build(put.rp)
    unauthenticated = await push(put, put.rp, request.params, auth=False)
    assert_oauth_error(unauthenticated, "invalid_client", 401)
    put.rp.client_secret = "wrong"
    assert_oauth_error(await push(put, put.rp, request.params), "invalid_client", 401)
    async with put.http() as http:
        assert (await http.get("/par")).status_code == 405


async def test_a_public_client_pushes_with_its_client_id(put, browser):
    app = await put.add_client("app", token_endpoint_auth_method="none", first_party=True)
    request = AuthRequest.build(app)
    response = await push(put, app, request.params, auth=False)
    assert response.status_code == 201, response.text
    response = await browser.authorize({"client_id": "app", "request_uri": response.json()["request_uri"]})
    assert_code_redirect(response, app, request.state)


async def test_a_client_that_requires_pushed_requests_is_refused_a_plain_one(put, browser):
    strict = await put.add_client("strict", require_pushed_authorization_requests=True)
    plain = AuthRequest.build(strict)
    params = assert_redirects_to(await browser.go("/authorize?" + urlencode(plain.params)), strict)
    assert params["error"] == "invalid_request" and params["state"] == plain.state and params["iss"] == ISSUER
    request = AuthRequest.build(strict)
    response = await browser.authorize({"client_id": "strict", "request_uri": await pushed(put, request)})
    assert_code_redirect(response, strict, request.state)
    # The other clients are not affected.
    other = AuthRequest.build(put.rp)
    assert_code_redirect(await browser.authorize(other.params), put.rp, other.state)


async def test_discovery_names_the_endpoint_and_whether_every_client_must_push(put):
    async with put.http() as http:
        metadata = (await http.get("/.well-known/openid-configuration")).json()
    assert metadata["pushed_authorization_request_endpoint"] == ISSUER + "/par"
    assert metadata["require_pushed_authorization_requests"] is False


async def test_the_setting_requires_pushed_requests_of_every_client(database_url):
    async with running_portal(database_url, require_pushed_authorization_requests=True) as put:
        rp = await put.add_client("rp")
        async with put.http() as http:
            metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
            plain = AuthRequest.build(rp)
            refused = await http.get("/authorize?" + urlencode(plain.params))
        assert metadata["require_pushed_authorization_requests"] is True
        assert assert_redirects_to(refused, rp)["error"] == "invalid_request"
        assert (await push(put, rp, AuthRequest.build(rp).params)).status_code == 201


def test_the_registration_key_is_true_or_false():
    check_client_fields({"require_pushed_authorization_requests": True}, production=False)
    with pytest.raises(ClientConfigError, match="require_pushed_authorization_requests"):
        check_client_fields({"require_pushed_authorization_requests": "yes"}, production=False)


async def test_unused_expired_requests_are_purged(put, monkeypatch):
    clock = Clock(monkeypatch)
    await pushed(put, AuthRequest.build(put.rp))
    clock.advance(61)
    await purge_expired(put.portal)
    async with put.portal.reader() as db:
        assert await db.scalar(select(func.count()).select_from(PushedRequest)) == 0
