"""Which redirect_uri an authorization request may name: the registered string exactly (RFC 9700
§2.1), with the one exception RFC 8252 §7.3 requires: a native app's (public client's) http
loopback IP URI with any port, because the app listens on whatever port the OS gives it."""
from urllib.parse import urlencode, urlsplit

import pytest

from tests.support.authz import AuthRequest, assert_error_page, callback_params

LOOPBACK_V4 = "http://127.0.0.1/cb"
LOOPBACK_V6 = "http://[::1]/oauth/callback?app=desk"


@pytest.fixture
async def native(put):
    return await put.add_client("native-app", token_endpoint_auth_method="none", grant_types=["authorization_code"],
                                redirect_uris=[LOOPBACK_V4, LOOPBACK_V6, "http://localhost/cb",
                                               "https://127.0.0.1/tls-cb"])


async def code_for(browser, client, redirect_uri: str) -> tuple[AuthRequest, str]:
    """Authorize with ``redirect_uri``; the code must come back to exactly that URI."""
    request = AuthRequest.build(client, redirect_uri=redirect_uri)
    response = await browser.authorize(request.params)
    assert response.status_code == 303, response.text[:300]
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri.split("?")[0]
    params = callback_params(response)
    assert "error" not in params and params["state"] == request.state
    if "?" in redirect_uri:
        assert location.query.startswith(redirect_uri.split("?")[1] + "&")  # the registered query is kept
    return request, params["code"]


async def exchange(put, client, code: str, redirect_uri: str, verifier: str):
    async with put.http() as http:
        return await http.post("/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_id": client.client_id, "code_verifier": verifier})


@pytest.mark.parametrize("redirect_uri", ["http://127.0.0.1:51004/cb", "http://127.0.0.1/cb", "http://127.0.0.1:80/cb",
                                          "http://[::1]:60123/oauth/callback?app=desk"])
async def test_a_native_app_gets_its_code_on_any_loopback_port(put, browser, native, redirect_uri):
    request, code = await code_for(browser, native, redirect_uri)
    response = await exchange(put, native, code, redirect_uri, request.verifier)
    assert response.status_code == 200, response.text
    assert "id_token" in response.json()


async def test_the_token_request_must_name_the_same_port(put, browser, native):
    request, code = await code_for(browser, native, "http://127.0.0.1:51004/cb")
    response = await exchange(put, native, code, "http://127.0.0.1:51005/cb", request.verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("redirect_uri", [
    "http://127.0.0.1:51004/other",  # another path
    "http://127.0.0.1:51004/cb/",
    "http://127.0.0.1:51004/cb?x=1",  # a query the registration has not
    "http://[::1]:60123/oauth/callback?app=other",
    "http://[::1]:60123/oauth/callback",
    "http://localhost:51004/cb",  # RFC 8252 §8.3: localhost is a name, not the loopback interface
    "https://127.0.0.1:51004/tls-cb",  # only http loopback URIs vary their port
    "http://127.0.0.2:51004/cb",
    "http://127.0.0.1.evil.example:51004/cb",
    "http://user@127.0.0.1:51004/cb",
    "http://127.0.0.1:0/cb",
    "http://127.0.0.1:99999/cb",
    "http://127.0.0.1:51004/cb#frag",
])
async def test_anything_else_on_loopback_still_needs_an_exact_match(put, browser, native, redirect_uri):
    request = AuthRequest.build(native, redirect_uri=redirect_uri)
    assert_error_page(await browser.client.get("/authorize?" + urlencode(request.params)))


async def test_a_confidential_client_keeps_its_registered_port(put, browser):
    """A business system on loopback in development is no native app: its URI is exact."""
    system = await put.add_client("dev-system", redirect_uris=["http://127.0.0.1:8101/auth/callback"])
    request = AuthRequest.build(system, redirect_uri="http://127.0.0.1:8102/auth/callback")
    assert_error_page(await browser.client.get("/authorize?" + urlencode(request.params)))
    await code_for(browser, system, "http://127.0.0.1:8101/auth/callback")


async def test_the_token_request_must_name_a_loopback_port_chosen_at_run_time(put, browser):
    """One registered URI may be left out of the token request (it can mean only that one); a
    port the app chose cannot (RFC 6749 §4.1.3)."""
    app = await put.add_client("one-uri-app", token_endpoint_auth_method="none", grant_types=["authorization_code"],
                               redirect_uris=[LOOPBACK_V4])
    request, code = await code_for(browser, app, "http://127.0.0.1:51004/cb")
    async with put.http() as http:
        response = await http.post("/token", data={"grant_type": "authorization_code", "code": code,
                                                   "client_id": app.client_id, "code_verifier": request.verifier})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
