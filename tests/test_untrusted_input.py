"""Untrusted JSON and tokens within bounds (shared.safe_json): a token whose header or payload
is deeply nested JSON, or a binding API body nested so, is answered with each protocol's own
error instead of an HTTP 500 (the decoder's RecursionError used to escape every handler)."""
from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest

from tests.support.authz import AuthRequest, assert_error_page, assert_error_redirect
from tests.support.binding_flows import binding_of, on_bindings_page, start, system_api
from tests.support.tokens import post_as
from tests.test_client_authentication import JWT_BEARER, add_jwt_client

NESTED = "[" * 3000


def b64url(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def nested_header_token() -> str:
    return f"{b64url(NESTED)}.{b64url(json.dumps({'sub': 'rp', 'iss': 'rp'}))}.c2ln"


def nested_payload_token() -> str:
    return f"{b64url(json.dumps({'alg': 'RS256', 'kid': 'k'}))}.{b64url(NESTED)}.c2ln"


TOKENS = pytest.mark.parametrize("token", [nested_header_token(), nested_payload_token()],
                                 ids=["nested-header", "nested-payload"])


@TOKENS
async def test_userinfo_answers_invalid_token_with_its_challenge(put, token):
    async with put.http() as http:
        response = await http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@TOKENS
async def test_introspection_answers_inactive(put, token):
    response = await post_as(put, put.rp, "/introspect", token=token)
    assert (response.status_code, response.json()) == (200, {"active": False})


@TOKENS
async def test_revocation_answers_200_and_changes_nothing(put, token):
    response = await post_as(put, put.rp, "/revoke", token=token)
    assert (response.status_code, response.json()) == (200, {})


@TOKENS
async def test_a_client_assertion_is_invalid_client(put, token):
    await add_jwt_client(put)
    async with put.http() as http:
        response = await http.post("/token", data={"grant_type": "client_credentials", "client_assertion": token,
                                                   "client_assertion_type": JWT_BEARER})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client", response.text


@TOKENS
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_logout_shows_its_error_page(put, token, method):
    async with put.http() as http:
        if method == "GET":
            response = await http.get("/logout?" + urlencode({"id_token_hint": token}))
        else:
            response = await http.post("/logout", data={"id_token_hint": token})
    assert_error_page(response)


@TOKENS
async def test_authorize_answers_invalid_request_to_the_client(put, browser, token):
    request = AuthRequest.build(put.rp, id_token_hint=token)
    response = await browser.client.get("/authorize?" + urlencode(request.params))
    assert_error_redirect(response, put.rp, "invalid_request", request.state)


async def test_a_nested_claims_parameter_is_invalid_request(put, browser):
    request = AuthRequest.build(put.rp, claims='{"userinfo":' + NESTED)
    response = await browser.client.get("/authorize?" + urlencode(request.params))
    assert_error_redirect(response, put.rp, "invalid_request", request.state)


@pytest.mark.parametrize("action", ["confirm", "refused", "ended"])
@pytest.mark.parametrize("body", [NESTED.encode(), b'{"reason": ' + NESTED.encode(), b"x" * 70_000,
                                  b'{"reason": "\xff"}'], ids=["nested", "nested-in-object", "oversized", "not-utf-8"])
async def test_the_binding_api_answers_400_to_a_malformed_body_and_changes_nothing(put, action, body):
    drug = await put.add_client("drug", display_name="药品业务应用系统")
    browser = await on_bindings_page(put, put.account)
    binding_id = binding_of(await start(browser, drug.client_id, "existing"))
    await browser.aclose()
    async with system_api(put, drug) as api:
        response = await api.post(f"/api/bindings/{binding_id}/{action}", content=body,
                                  headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and response.json()["error"] == "invalid_request", response.text
        assert (await api.get(f"/api/bindings/{binding_id}")).json()["state"] == "pending"


@pytest.mark.parametrize("path", ["/token", "/introspect", "/api/bindings/x"])
async def test_basic_credentials_that_are_not_ascii_are_invalid_client(put, path):
    """Non-ASCII text where base64 goes made base64.b64decode raise a plain ValueError: HTTP 500."""
    async with put.http() as http:
        response = await http.request("GET" if path.startswith("/api") else "POST", path,
                                      headers={"Authorization": "Basic é30=".encode()},
                                      data=None if path.startswith("/api") else {"grant_type": "client_credentials"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client", response.text
