"""prompt, max_age, id_token_hint and login_hint (OIDC Core §3.1.2.1, §3.1.2.3; the
conformance modules oidcc-prompt-*, oidcc-max-age-*, oidcc-id-token-hint, oidcc-login-hint).

The provider's clock is moved forward instead of sleeping: ``idp.clock`` is the only place
the code reads the time.
"""
import base64
import json
from urllib.parse import urlencode

import pytest

from idp.keys import jws
from tests.support.authz import (
    LONG_STATE,
    AuthRequest,
    Clock,
    assert_code_redirect,
    assert_error_redirect,
    authorize_and_redeem,
    id_token_claims,
    redeem,
)
from tests.support.portal import Browser


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def query(params) -> str:
    return "/authorize?" + urlencode(params)


async def silent(put, browser, request: AuthRequest) -> dict:
    """The browser goes to /authorize and comes straight back with a code: no page shown."""
    response = await browser.client.get(query(request.params))
    code = assert_code_redirect(response, request.client, request.state)
    return await id_token_claims(put, (await redeem(put, request.client, code, request.verifier))["id_token"])


async def shows_login_then_issues(put, browser, request: AuthRequest, username: str = "zhangsan") -> dict:
    page = await browser.go(query(request.params))
    assert 'action="/login"' in page.text, page.text[:300]
    response = await browser.login(page, username)
    code = assert_code_redirect(response, request.client, request.state)
    return await id_token_claims(put, (await redeem(put, request.client, code, request.verifier))["id_token"])


# --- prompt -----------------------------------------------------------------------------------

async def test_prompt_none_without_session_redirects_login_required(put, browser):
    request = AuthRequest.build(put.rp, prompt="none", state=LONG_STATE)
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, put.rp, "login_required", LONG_STATE)


async def test_prompt_none_with_session_issues_code_silently_with_same_sub_and_auth_time(put, browser, clock):
    first, _ = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    clock.advance(5)
    second = await silent(put, browser, AuthRequest.build(put.rp, prompt="none"))
    assert second["sub"] == first["sub"] == put.account.subject
    assert second["auth_time"] == first["auth_time"]
    assert second["iat"] > first["iat"]


async def test_prompt_login_forces_a_new_login_with_later_auth_time(put, browser, clock):
    first, _ = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    clock.advance(2)
    second = await shows_login_then_issues(put, browser, AuthRequest.build(put.rp, prompt="login"))
    assert second["sub"] == first["sub"]
    assert second["auth_time"] > first["auth_time"]


async def test_prompt_consent_shows_consent_page_even_for_first_party_client(put, browser):
    await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    request = AuthRequest.build(put.rp, prompt="consent", scope="openid profile")
    page = await browser.go(query(request.params))
    assert 'action="/consent"' in page.text
    response = await browser.submit(page, "/consent", decision="allow")
    assert_code_redirect(response, put.rp, request.state)


async def test_prompt_select_account_shows_account_page(put, browser):
    first, _ = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    request = AuthRequest.build(put.rp, prompt="select_account")
    page = await browser.go(query(request.params))
    assert 'action="/select-account"' in page.text
    assert "zhangsan" in page.text
    response = await browser.submit(page, "/select-account", choice="current")
    code = assert_code_redirect(response, put.rp, request.state)
    claims = await id_token_claims(put, (await redeem(put, put.rp, code, request.verifier))["id_token"])
    assert claims["sub"] == first["sub"]


@pytest.mark.parametrize("prompt", ["none login", "consent none"])
async def test_prompt_none_combined_with_another_value_is_invalid_request(put, browser, prompt):
    request = AuthRequest.build(put.rp, prompt=prompt)
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, put.rp, "invalid_request", request.state)


# --- max_age ----------------------------------------------------------------------------------

async def test_max_age_exceeded_requires_a_new_login_with_later_auth_time(put, browser, clock):
    first, _ = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    clock.advance(2)
    second = await shows_login_then_issues(put, browser, AuthRequest.build(put.rp, max_age="1"))
    assert second["auth_time"] > first["auth_time"]
    assert second["sub"] == first["sub"]


async def test_max_age_not_exceeded_reuses_the_login_with_identical_auth_time(put, browser, clock):
    first, _ = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp, max_age="15000"))
    assert "auth_time" in first
    clock.advance(2)
    second = await silent(put, browser, AuthRequest.build(put.rp, max_age="10000"))
    assert second["auth_time"] == first["auth_time"]
    assert second["sub"] == first["sub"]


async def test_auth_time_is_in_every_id_token(put, browser):
    claims, _ = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    assert isinstance(claims["auth_time"], int)
    assert claims["auth_time"] <= claims["iat"]


async def test_max_age_longer_than_any_session_reuses_the_login(put, browser, clock):
    first, _ = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    clock.advance(60)
    second = await silent(put, browser, AuthRequest.build(put.rp, max_age="9" * 5000))
    assert second["auth_time"] == first["auth_time"]


# --- id_token_hint ----------------------------------------------------------------------------

async def test_id_token_hint_with_prompt_none_succeeds_silently_for_the_same_user(put, browser):
    _, tokens = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    claims = await silent(put, browser, AuthRequest.build(put.rp, prompt="none", id_token_hint=tokens["id_token"]))
    assert claims["sub"] == put.account.subject


async def test_id_token_hint_for_another_user_with_prompt_none_is_login_required(put, browser):
    await put.add_account("lisi", name="李四")
    other = Browser(put)
    try:
        _, lisi_tokens = await authorize_and_redeem(put, other, AuthRequest.build(put.rp), username="lisi")
    finally:
        await other.aclose()
    await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))  # zhangsan's session
    request = AuthRequest.build(put.rp, prompt="none", id_token_hint=lisi_tokens["id_token"])
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, put.rp, "login_required", request.state)


async def test_id_token_hint_for_another_user_asks_to_log_in(put, browser):
    await put.add_account("lisi", name="李四")
    other = Browser(put)
    try:
        _, lisi_tokens = await authorize_and_redeem(put, other, AuthRequest.build(put.rp), username="lisi")
    finally:
        await other.aclose()
    await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    request = AuthRequest.build(put.rp, id_token_hint=lisi_tokens["id_token"])
    claims = await shows_login_then_issues(put, browser, request, username="lisi")
    assert claims["sub"] != put.account.subject


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unverified(token: str) -> tuple[dict, dict]:
    parts = [p + "=" * (-len(p) % 4) for p in token.split(".")[:2]]
    return json.loads(base64.urlsafe_b64decode(parts[0])), json.loads(base64.urlsafe_b64decode(parts[1]))


@pytest.mark.parametrize("forgery", ["alg_none", "changed_payload", "garbage"])
async def test_forged_id_token_hint_is_invalid_request(put, browser, forgery):
    _, tokens = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    header, claims = _unverified(tokens["id_token"])
    signature = tokens["id_token"].rsplit(".", 1)[1]
    hint = {
        "alg_none": f"{_b64({**header, 'alg': 'none'})}.{_b64(claims)}.",
        "changed_payload": f"{_b64(header)}.{_b64({**claims, 'sub': 'someone-else'})}.{signature}",
        "garbage": "not.a.token",
    }[forgery]
    request = AuthRequest.build(put.rp, prompt="none", id_token_hint=hint)
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, put.rp, "invalid_request", request.state)


async def test_access_token_as_id_token_hint_is_invalid_request(put, browser):
    _, tokens = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    request = AuthRequest.build(put.rp, prompt="none", id_token_hint=tokens["access_token"])
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, put.rp, "invalid_request", request.state)


async def test_id_token_hint_issued_to_another_client_is_invalid_request(put, browser):
    other = await put.add_client("other")
    _, tokens = await authorize_and_redeem(put, browser, AuthRequest.build(other))
    request = AuthRequest.build(put.rp, prompt="none", id_token_hint=tokens["id_token"])
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, put.rp, "invalid_request", request.state)


async def test_id_token_hint_of_another_issuer_is_invalid_request(put, browser):
    """Signed with our key but naming another issuer: no ID token of this provider (the same
    check as /logout makes, one function for both)."""
    _, tokens = await authorize_and_redeem(put, browser, AuthRequest.build(put.rp))
    _, claims = _unverified(tokens["id_token"])
    hint = jws.sign(await put.portal.key_ring(), {**claims, "iss": "https://elsewhere.example.test"})
    request = AuthRequest.build(put.rp, prompt="none", id_token_hint=hint)
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, put.rp, "invalid_request", request.state)


# --- login_hint -------------------------------------------------------------------------------

async def test_login_hint_prefills_the_username(put, browser):
    page = await browser.go(query(AuthRequest.build(put.rp, login_hint="zhangsan").params))
    assert 'name="username" value="zhangsan"' in page.text


async def test_login_hint_is_escaped_on_the_login_page(put, browser):
    page = await browser.go(query(AuthRequest.build(put.rp, login_hint='"><script>x()</script>').params))
    assert "<script>x()" not in page.text
    assert 'value="&#34;&gt;&lt;script&gt;' in page.text
