"""The authorization endpoint's parameter handling: repeated, empty and unknown parameters,
POST, request objects, PKCE and the optional OIDC parameters (RFC 6749 §3.1, RFC 7636 §4.3,
OIDC Core §3.1.2.1, §6; protocol-checks §b.1, §c, §d)."""
from urllib.parse import urlencode

import pytest

from tests.support.authz import (
    NASTY_STATE,
    AuthRequest,
    assert_code_redirect,
    assert_error_page,
    assert_error_redirect,
    authorize_and_redeem,
    id_token_claims,
    redeem,
)
from tests.support.portal import ISSUER, RP


def query(params) -> str:
    return "/authorize?" + urlencode(params)


# --- parameter parsing ------------------------------------------------------------------------

async def test_duplicated_scope_redirects_invalid_request(put, browser):
    request = AuthRequest.build(put.rp)
    url = query(list(request.params.items()) + [("scope", "openid profile")])
    assert_error_redirect(await browser.client.get(url), put.rp, "invalid_request", request.state)


async def test_duplicated_client_id_shows_error_page(put, browser):
    request = AuthRequest.build(put.rp)
    assert_error_page(await browser.client.get(query(list(request.params.items()) + [("client_id", "rp")])))


async def test_duplicated_redirect_uri_shows_error_page(put, browser):
    request = AuthRequest.build(put.rp)
    url = query(list(request.params.items()) + [("redirect_uri", put.rp.redirect_uri)])
    assert_error_page(await browser.client.get(url))


async def test_empty_parameters_count_as_omitted(put, browser):
    """RFC 6749 §3.1: an empty max_age is not a malformed one, an empty nonce is no nonce,
    and an empty redirect_uri falls back to the single registered one."""
    request = AuthRequest.build(put.rp, max_age="", nonce="", prompt="", redirect_uri="", login_hint="")
    claims, _ = await authorize_and_redeem(put, browser, request)
    assert "nonce" not in claims


async def test_unknown_parameters_are_ignored(put, browser):
    request = AuthRequest.build(put.rp, extra="foobar", display="page")
    claims, _ = await authorize_and_redeem(put, browser, request)
    assert claims["sub"] == put.account.subject


@pytest.mark.parametrize("max_age", ["-1", "1.5", "1\n", "²", "١٢"])
async def test_malformed_max_age_is_invalid_request(put, browser, max_age):
    """Only ASCII digits: "²" and Arabic-Indic digits pass str.isdigit() but are no max_age."""
    request = AuthRequest.build(put.rp, max_age=max_age)
    assert_error_redirect(await browser.client.get(query(request.params)), put.rp, "invalid_request", request.state)


@pytest.mark.parametrize("claims", ["{not json", "[" * 100_000, '["userinfo"]'])
async def test_malformed_claims_parameter_is_invalid_request(put, browser, claims):
    request = AuthRequest.build(put.rp, claims=claims)
    response = await browser.client.post("/authorize", data=request.params)  # too long for a URL
    assert_error_redirect(response, put.rp, "invalid_request", request.state)


async def test_client_id_with_a_nul_shows_error_page(put, browser):
    """Not a server error on PostgreSQL, which cannot compare text with a NUL in it."""
    request = AuthRequest.build(put.rp, client_id="rp\x00")
    assert_error_page(await browser.client.get(query(request.params)))


async def test_post_to_authorize_works_like_get(put, browser):
    request = AuthRequest.build(put.rp, state=NASTY_STATE)
    page = await browser.go("/authorize", method="POST", data=request.params)
    response = await browser.login(page)
    code = assert_code_redirect(response, put.rp, NASTY_STATE)
    claims = await id_token_claims(put, (await redeem(put, put.rp, code, request.verifier))["id_token"])
    assert claims["nonce"] == request.params["nonce"]


async def test_post_to_authorize_rejects_errors_like_get(put, browser):
    request = AuthRequest.build(put.rp, response_type="token")
    response = await browser.client.post("/authorize", data=request.params)
    assert_error_redirect(response, put.rp, "unsupported_response_type", request.state)


# --- request objects (OIDC Core §6): refused, never silently ignored ---------------------------

async def test_request_object_is_rejected_as_unsupported(put, browser):
    request = AuthRequest.build(put.rp, request="eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.")
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, put.rp, "request_not_supported", request.state)


async def test_request_uri_is_rejected_as_unsupported(put, browser):
    request = AuthRequest.build(put.rp, request_uri=f"{RP}/rp/request.jwt")
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, put.rp, "request_uri_not_supported", request.state)


# --- PKCE at the authorization endpoint (protocol-checks §c) ---------------------------------------

async def test_client_requiring_pkce_without_challenge_gets_invalid_request(put, browser):
    request = AuthRequest.build(put.rp, pkce=False)
    assert_error_redirect(await browser.client.get(query(request.params)), put.rp, "invalid_request", request.state)


async def test_public_client_without_challenge_gets_invalid_request(put, browser):
    client = await put.add_client("spa", token_endpoint_auth_method="none", require_pkce=False)
    request = AuthRequest.build(client, pkce=False)
    assert_error_redirect(await browser.client.get(query(request.params)), client, "invalid_request", request.state)


@pytest.mark.parametrize("method", ["plain", None])
async def test_pkce_method_other_than_s256_is_rejected(put, browser, method):
    request = AuthRequest.build(put.rp)
    request.params["code_challenge_method"] = method
    params = {k: v for k, v in request.params.items() if v is not None}
    assert_error_redirect(await browser.client.get(query(params)), put.rp, "invalid_request", request.state)


@pytest.mark.parametrize("challenge", ["too-short", "A" * 42 + "+", "A" * 43 + "\n", "A" * 129])
async def test_malformed_code_challenge_is_invalid_request(put, browser, challenge):
    """RFC 7636 §4.2: 43 to 128 unreserved characters, nothing else."""
    request = AuthRequest.build(put.rp, code_challenge=challenge)
    assert_error_redirect(await browser.client.get(query(request.params)), put.rp, "invalid_request", request.state)


async def test_confidential_client_without_pkce_requirement_needs_neither_pkce_nor_nonce(put, browser):
    client = await put.add_client("legacy", require_pkce=False)
    request = AuthRequest.build(client, pkce=False, nonce=None)
    claims, tokens = await authorize_and_redeem(put, browser, request)
    assert tokens["access_token"] and "nonce" not in claims


# --- optional OIDC parameters the certification plan sends --------------------------------------

async def test_locales_and_acr_values_are_accepted(put, browser):
    async with put.http() as http:
        acr_supported = (await http.get("/.well-known/openid-configuration")).json()["acr_values_supported"]
    request = AuthRequest.build(put.rp, ui_locales="se", claims_locales="se", acr_values=" ".join(acr_supported))
    claims, _ = await authorize_and_redeem(put, browser, request)
    assert claims["acr"] in acr_supported
    assert claims["iss"] == ISSUER
