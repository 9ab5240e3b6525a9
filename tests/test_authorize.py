"""The authorization endpoint: who may be redirected to, and the shape of its responses
(RFC 6749 §4.1.2; RFC 9207; RFC 9700 §4.11.2; OIDC Core §3.1.2; protocol-checks §a.3, §a.7,
§b.1, §d). Parameter handling is in test_authorize_parameters.py."""
from urllib.parse import urlencode

import pytest

from tests.support.authz import (
    LONG_STATE,
    NASTY_STATE,
    AuthRequest,
    assert_code_redirect,
    assert_error_page,
    assert_error_redirect,
    authorize_and_redeem,
)
from tests.support.portal import RP


def query(params) -> str:
    return "/authorize?" + urlencode(params)


# --- client_id and redirect_uri: never redirect when they cannot be trusted -------------------

async def test_unknown_client_id_shows_error_page(put, browser):
    request = AuthRequest.build(put.rp, client_id="no-such-client")
    assert_error_page(await browser.client.get(query(request.params)))


async def test_missing_client_id_shows_error_page(put, browser):
    request = AuthRequest.build(put.rp, client_id=None)
    assert_error_page(await browser.client.get(query(request.params)))


@pytest.mark.parametrize("redirect_uri", [
    f"{RP}/rp/cb/extra",
    f"{RP}/rp/cb?foo=bar",
    f"{RP}/rp/cb/",
    "https://evil.example.test/rp/cb",
])
async def test_unregistered_redirect_uri_shows_error_page(put, browser, redirect_uri):
    request = AuthRequest.build(put.rp, redirect_uri=redirect_uri)
    assert_error_page(await browser.client.get(query(request.params)))


async def test_unregistered_redirect_uri_wins_over_other_errors(put, browser):
    """Even a request that is wrong in other ways must not be bounced to an unverified URI."""
    request = AuthRequest.build(put.rp, redirect_uri=f"{RP}/rp/cb/extra", response_type=None)
    assert_error_page(await browser.client.get(query(request.params)))


async def test_missing_redirect_uri_allowed_with_one_registered_uri(put, browser):
    request = AuthRequest.build(put.rp, redirect_uri=None)
    _, tokens = await authorize_and_redeem(put, browser, request)
    assert tokens["access_token"]


async def test_missing_redirect_uri_with_two_registered_uris_shows_error_page(put, browser):
    client = await put.add_client("two", redirect_uris=[f"{RP}/two/cb", f"{RP}/two/cb2"])
    request = AuthRequest.build(client, redirect_uri=None)
    assert_error_page(await browser.client.get(query(request.params)))


async def test_second_registered_redirect_uri_is_used(put, browser):
    client = await put.add_client("two", redirect_uris=[f"{RP}/two/cb", f"{RP}/two/cb2"])
    request = AuthRequest.build(client, redirect_uri=f"{RP}/two/cb2")
    response = await browser.authorize(request.params)
    assert response.headers["location"].startswith(f"{RP}/two/cb2?")


async def test_registered_redirect_uri_with_query_keeps_it(put, browser):
    client = await put.add_client("q", redirect_uris=[f"{RP}/q/cb?tenant=1"])
    request = AuthRequest.build(client)
    response = await browser.authorize(request.params)
    location = response.headers["location"]
    assert location.startswith(f"{RP}/q/cb?tenant=1&")
    assert "code=" in location


# --- error redirects ----------------------------------------------------------------------------

async def test_missing_response_type_redirects_invalid_request(put, browser):
    request = AuthRequest.build(put.rp, response_type=None)
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, put.rp, "invalid_request", request.state)


@pytest.mark.parametrize("response_type", ["token", "code id_token"])
async def test_implicit_and_hybrid_response_types_are_unsupported(put, browser, response_type):
    request = AuthRequest.build(put.rp, response_type=response_type)
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, put.rp, "unsupported_response_type", request.state)


async def test_error_redirect_without_state_has_no_state(put, browser):
    request = AuthRequest.build(put.rp, response_type=None, state=None)
    assert_error_redirect(await browser.client.get(query(request.params)), put.rp, "invalid_request", None)


# --- state and iss --------------------------------------------------------------------------

@pytest.mark.parametrize("state", [NASTY_STATE, LONG_STATE])
async def test_state_is_echoed_exactly_on_success(put, browser, state):
    request = AuthRequest.build(put.rp, state=state)
    assert_code_redirect(await browser.authorize(request.params), put.rp, state)


@pytest.mark.parametrize("state", [NASTY_STATE, LONG_STATE])
async def test_state_is_echoed_exactly_on_error(put, browser, state):
    request = AuthRequest.build(put.rp, state=state, response_type="token")
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, put.rp, "unsupported_response_type", state)


async def test_success_response_carries_only_code_state_and_iss(put, browser):
    request = AuthRequest.build(put.rp)
    response = await browser.authorize(request.params)
    assert_code_redirect(response, put.rp, request.state)
    location = response.headers["location"]
    assert sorted(p.split("=")[0] for p in location.split("?", 1)[1].split("&")) == ["code", "iss", "state"]
    assert response.headers["cache-control"] == "no-store"


async def test_code_is_at_least_128_bits_and_sent_with_303(put, browser):
    request = AuthRequest.build(put.rp)
    response = await browser.authorize(request.params)
    assert response.status_code == 303
    code = assert_code_redirect(response, put.rp, request.state)
    assert len(code) >= 43
    assert set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
