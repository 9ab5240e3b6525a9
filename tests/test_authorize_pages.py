"""The interaction pages of an authorization: consent, login errors, CSRF, interactions bound
to one browser and expiring, and the anti-framing headers (OIDC Core §3.1.2.4; RFC 9700 §4.16,
§4.2.4; protocol-checks §d)."""
import json
from urllib.parse import urlencode

import pytest

from idp.captcha.providers import TEST_ANSWER
from tests.support.authz import (
    AuthRequest,
    Clock,
    assert_code_redirect,
    assert_error_page,
    assert_error_redirect,
    has_session_cookie,
    redeem,
)
from tests.support.portal import PASSWORD, Browser, hidden_fields

WRONG_CREDENTIALS = "输入的用户名或密码错误"


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def query(params) -> str:
    return "/authorize?" + urlencode(params)


async def login_page(browser, request: AuthRequest):
    page = await browser.go(query(request.params))
    assert 'action="/login"' in page.text, page.text[:300]
    return page


async def still_logged_out(browser, put) -> bool:
    request = AuthRequest.build(put.rp, prompt="none")
    response = await browser.client.get(query(request.params))
    return assert_error_redirect(response, put.rp, "login_required", request.state) is not None


# --- consent ----------------------------------------------------------------------------------

async def test_third_party_client_shows_consent_page_listing_the_scopes(put, browser):
    client = await put.add_client("partner", first_party=False)
    page = await browser.login(await login_page(browser, AuthRequest.build(client, scope="openid profile email")))
    assert 'action="/consent"' in page.text
    assert "测试应用 partner" in page.text
    assert "获取您的用户信息（姓名、用户名）" in page.text
    assert "获取您的电子邮箱" in page.text
    assert "获取您的手机号" not in page.text


async def test_denying_consent_redirects_access_denied_with_state(put, browser):
    client = await put.add_client("partner", first_party=False)
    request = AuthRequest.build(client, scope="openid profile")
    page = await browser.login(await login_page(browser, request))
    response = await browser.submit(page, "/consent", decision="deny")
    assert_error_redirect(response, client, "access_denied", request.state)


async def test_granted_consent_issues_a_code_and_is_not_asked_again(put, browser):
    client = await put.add_client("partner", first_party=False)
    request = AuthRequest.build(client, scope="openid profile")
    page = await browser.login(await login_page(browser, request))
    assert_code_redirect(await browser.submit(page, "/consent", decision="allow"), client, request.state)
    again = AuthRequest.build(client, scope="profile openid")
    assert_code_redirect(await browser.client.get(query(again.params)), client, again.state)


async def test_consent_is_asked_again_for_a_new_scope(put, browser):
    client = await put.add_client("partner", first_party=False)
    await browser.authorize(AuthRequest.build(client, scope="openid profile").params)
    page = await browser.go(query(AuthRequest.build(client, scope="openid profile phone").params))
    assert 'action="/consent"' in page.text
    assert "获取您的手机号" in page.text


async def test_prompt_none_without_consent_is_consent_required(put, browser):
    client = await put.add_client("partner", first_party=False)
    await browser.authorize(AuthRequest.build(put.rp).params)  # logged in, no consent for partner
    request = AuthRequest.build(client, scope="openid profile", prompt="none")
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, client, "consent_required", request.state)


async def test_claims_parameter_cannot_skip_consent(put, browser):
    """OIDC Core §5.5: claims named one by one are released like their scope, so the user is
    asked about them like about the scope."""
    client = await put.add_client("partner", first_party=False)
    claims = json.dumps({"userinfo": {"phone_number": None}, "id_token": {"email": None}})
    request = AuthRequest.build(client, scope="openid", claims=claims)
    page = await browser.login(await login_page(browser, request))
    assert 'action="/consent"' in page.text
    assert "获取您的手机号" in page.text and "获取您的电子邮箱" in page.text
    code = assert_code_redirect(await browser.submit(page, "/consent", decision="allow"), client, request.state)
    tokens = await redeem(put, client, code, request.verifier)
    async with put.http() as http:
        info = (await http.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})).json()
    assert info["phone_number"] == "13800138000"
    again = AuthRequest.build(client, scope="openid", claims=claims, prompt="none")
    assert_code_redirect(await browser.client.get(query(again.params)), client, again.state)


async def test_claims_parameter_without_consent_is_consent_required(put, browser):
    client = await put.add_client("partner", first_party=False)
    await browser.authorize(AuthRequest.build(client, scope="openid").params)  # nothing to consent to
    claims = json.dumps({"userinfo": {"name": None}})
    request = AuthRequest.build(client, scope="openid", claims=claims, prompt="none")
    response = await browser.client.get(query(request.params))
    assert_error_redirect(response, client, "consent_required", request.state)


async def test_id_number_scope_asks_consent_even_for_first_party_client(put, browser):
    page = await browser.login(await login_page(browser, AuthRequest.build(put.rp, scope="openid id_number")))
    assert 'action="/consent"' in page.text
    assert "获取您的证件类型和证件号码" in page.text


async def test_consent_with_wrong_csrf_token_is_refused(put, browser):
    client = await put.add_client("partner", first_party=False)
    page = await browser.login(await login_page(browser, AuthRequest.build(client, scope="openid profile")))
    response = await browser.submit(page, "/consent", decision="allow", csrf_token="x" * 43)
    assert response.status_code == 403
    assert_error_page(response)


# --- login page -------------------------------------------------------------------------------

async def test_wrong_password_shows_the_login_page_again_keeping_the_username(put, browser):
    page = await login_page(browser, AuthRequest.build(put.rp))
    response = await browser.login(page, password="Wrong@2026pass")
    assert response.status_code == 200
    assert WRONG_CREDENTIALS in response.text
    assert 'name="username" value="zhangsan"' in response.text
    assert 'action="/login"' in response.text
    assert not has_session_cookie(response)
    assert await still_logged_out(browser, put)


async def test_unknown_user_gets_the_same_message(put, browser):
    page = await login_page(browser, AuthRequest.build(put.rp))
    response = await browser.login(page, username="nobody")
    assert WRONG_CREDENTIALS in response.text
    assert not has_session_cookie(response)


async def test_username_with_a_nul_is_just_wrong_credentials(put, browser):
    page = await login_page(browser, AuthRequest.build(put.rp))
    response = await browser.login(page, username="zhang\x00san")
    assert response.status_code == 200
    assert WRONG_CREDENTIALS in response.text
    assert not has_session_cookie(response)


@pytest.mark.parametrize("csrf_token", [None, "", "forged-token"])
async def test_login_without_the_right_csrf_token_is_refused(put, browser, csrf_token):
    page = await login_page(browser, AuthRequest.build(put.rp))
    data = {**hidden_fields(page.text), "window": "personal", "username": "zhangsan", "password": PASSWORD,
            "captcha": TEST_ANSWER}
    if csrf_token is None:
        del data["csrf_token"]
    else:
        data["csrf_token"] = csrf_token
    response = await browser.client.post("/login", data=data)
    assert response.status_code == 403
    assert_error_page(response)
    assert not has_session_cookie(response)
    assert await still_logged_out(browser, put)


async def test_interaction_from_another_browser_is_refused(put, browser):
    page = await login_page(browser, AuthRequest.build(put.rp))
    fields = hidden_fields(page.text)
    other = Browser(put)
    try:
        assert_error_page(await other.client.get(f"/login?interaction={fields['interaction']}"))
        response = await other.client.post("/login", data={**fields, "window": "personal", "username": "zhangsan",
                                                           "password": PASSWORD, "captcha": TEST_ANSWER})
        assert_error_page(response)
        assert not has_session_cookie(response)
        assert_error_page(await other.client.get(f"/authorize/resume?interaction={fields['interaction']}"))
    finally:
        await other.aclose()


@pytest.mark.parametrize("path", ["/login", "/consent", "/select-account", "/authorize/resume"])
async def test_unknown_or_missing_interaction_shows_error_page(put, browser, path):
    for suffix in ("", "?interaction=", "?interaction=%00", "?interaction=" + "A" * 43):
        response = await browser.client.get(path + suffix)
        if path == "/login" and suffix == "":
            assert response.status_code == 200 and 'action="/login"' in response.text  # a login started here
            continue
        assert_error_page(response)


async def test_expired_interaction_is_refused(put, browser, clock):
    page = await login_page(browser, AuthRequest.build(put.rp))
    clock.advance(put.settings.interaction_ttl_seconds + 1)
    response = await browser.login(page)
    assert_error_page(response)
    assert not has_session_cookie(response)
    interaction = hidden_fields(page.text)["interaction"]
    assert_error_page(await browser.client.get(f"/login?interaction={interaction}"))


async def test_finished_interaction_cannot_be_resumed_for_a_second_code(put, browser):
    request = AuthRequest.build(put.rp)
    page = await login_page(browser, request)
    interaction = hidden_fields(page.text)["interaction"]
    assert_code_redirect(await browser.login(page), put.rp, request.state)
    assert_error_page(await browser.client.get(f"/authorize/resume?interaction={interaction}"))


# --- headers ----------------------------------------------------------------------------------

def assert_not_frameable_nor_cached(response) -> None:
    headers = response.headers
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"


async def test_login_page_cannot_be_framed_or_cached(put, browser):
    assert_not_frameable_nor_cached(await login_page(browser, AuthRequest.build(put.rp)))


async def test_error_page_cannot_be_framed_or_cached(put, browser):
    response = await browser.client.get(query(AuthRequest.build(put.rp, client_id="no-such-client").params))
    assert_error_page(response)
    assert_not_frameable_nor_cached(response)


async def test_consent_page_cannot_be_framed_or_cached(put, browser):
    page = await browser.login(await login_page(browser, AuthRequest.build(put.rp, scope="openid id_number")))
    assert 'action="/consent"' in page.text
    assert_not_frameable_nor_cached(page)
