"""How the authorization response travels back: ``response_mode=form_post`` (OAuth 2.0 Form Post
Response Mode) as a self-submitting page that works under the portal's CSP and without
JavaScript; query stays the default; an unknown mode is refused by the default mode."""
import re
from html import unescape
from urllib.parse import urlencode

from tests.support.authz import ISSUER, AuthRequest, assert_error_redirect, id_token_claims, redeem

FORM = re.compile(r'<form method="post" action="([^"]+)" data-autosubmit>(.*?)</form>', re.S)
FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def posted_fields(response, redirect_uri: str) -> dict[str, str]:
    """The fields of the page's form, after checking it posts to exactly the redirect_uri, runs
    only our own script, and has a visible button for a browser without JavaScript."""
    assert response.status_code == 200, (response.status_code, response.headers.get("location"))
    assert response.headers["cache-control"] == "no-store"
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    match = FORM.search(response.text)
    assert match is not None, response.text[:500]
    assert unescape(match.group(1)) == redirect_uri
    assert '<script src="/static/autosubmit.js"></script>' in response.text
    assert "<script>" not in response.text
    assert '<button type="submit">' in match.group(2) and "<noscript>" not in match.group(2)
    return {name: unescape(value) for name, value in FIELD.findall(match.group(2))}


async def test_form_post_delivers_code_state_and_iss_by_post(put, browser):
    request = AuthRequest.build(put.rp, response_mode="form_post", state='st"<&>')
    response = await browser.authorize(request.params)
    fields = posted_fields(response, put.rp.redirect_uri)
    assert set(fields) == {"code", "state", "iss"}
    assert fields["state"] == 'st"<&>' and fields["iss"] == ISSUER
    tokens = await redeem(put, put.rp, fields["code"], request.verifier)
    assert (await id_token_claims(put, tokens["id_token"]))["nonce"] == request.params["nonce"]


async def test_form_post_sends_errors_back_by_post_once_the_redirect_uri_is_known(put, browser):
    request = AuthRequest.build(put.rp, response_mode="form_post", prompt="none")
    fields = posted_fields(await browser.client.get("/authorize?" + urlencode(request.params)), put.rp.redirect_uri)
    assert fields == {"error": "login_required", "error_description": fields["error_description"],
                      "state": request.state, "iss": ISSUER}
    invalid = AuthRequest.build(put.rp, response_mode="form_post", code_challenge_method="plain")
    fields = posted_fields(await browser.client.get("/authorize?" + urlencode(invalid.params)), put.rp.redirect_uri)
    assert fields["error"] == "invalid_request" and fields["state"] == invalid.state


async def test_form_post_denied_consent_goes_back_by_post(put, browser):
    client = await put.add_client("third", first_party=False)
    request = AuthRequest.build(client, response_mode="form_post", scope="openid profile")
    page = await browser.authorize(request.params, consent=False)
    fields = posted_fields(await browser.submit(page, "/consent", decision="deny"), client.redirect_uri)
    assert fields["error"] == "access_denied" and fields["state"] == request.state


async def test_an_unknown_response_mode_is_refused_by_query(put, browser):
    for mode in ("fragment", "jwt"):
        request = AuthRequest.build(put.rp, response_mode=mode)
        response = await browser.client.get("/authorize?" + urlencode(request.params))
        assert_error_redirect(response, put.rp, "invalid_request", request.state)


async def test_discovery_lists_the_response_modes_that_work(put):
    async with put.http() as http:
        metadata = (await http.get("/.well-known/openid-configuration")).json()
    assert metadata["response_modes_supported"] == ["query", "form_post"]
