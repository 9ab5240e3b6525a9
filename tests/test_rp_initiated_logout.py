"""OpenID Connect RP-Initiated Logout 1.0 at /logout, module by module of the conformance plan
(protocol-checks §b.2): redirect only to an exactly registered post_logout_redirect_uri named by
a valid id_token_hint, with exactly ``state``; otherwise a page and no redirect."""
import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from idp.keys import jws
from tests.support.portal import RP, callback_params, hidden_fields
from tests.support.signin import (
    authorization_params,
    claims_of,
    cookie,
    session_row,
    sign_in,
    silent_authorize,
    userinfo_status,
)

LOGGED_OUT = "您已安全退出"


def logged_out_uri(client) -> str:
    return f"{RP}/{client.client_id}/logged-out"


def assert_page_without_redirect(response) -> None:
    """What the plan's screenshot modules check: a page for the user, no way back to the RP."""
    assert not response.is_redirect, response.headers.get("location")
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")


async def assert_logged_out(browser, put) -> None:
    callback = await silent_authorize(browser, put.rp)
    assert callback["error"] == "login_required" and "code" not in callback


async def assert_still_logged_in(browser, put) -> None:
    callback = await silent_authorize(browser, put.rp)
    assert "code" in callback and "error" not in callback, callback


async def end_session(browser, method: str = "GET", **params):
    if method == "GET":
        return await browser.client.get("/logout?" + urlencode(params))
    return await browser.client.post("/logout", data=params)


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_logout_with_hint_redirects_with_state_only_and_ends_the_session(put, browser, method):
    tokens = await sign_in(put, browser)
    response = await end_session(browser, method, id_token_hint=tokens["id_token"],
                                 post_logout_redirect_uri=logged_out_uri(put.rp), state="st-af0ifjsldkj")
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == logged_out_uri(put.rp)
    assert parse_qs(location.query, keep_blank_values=True) == {"state": ["st-af0ifjsldkj"]}
    await assert_logged_out(browser, put)


async def test_logout_without_state_redirects_without_state(put, browser):
    tokens = await sign_in(put, browser)
    response = await end_session(browser, id_token_hint=tokens["id_token"],
                                 post_logout_redirect_uri=logged_out_uri(put.rp))
    assert response.status_code == 303
    assert response.headers["location"] == logged_out_uri(put.rp)
    await assert_logged_out(browser, put)


def alg_none(id_token: str) -> str:
    _, payload, _ = id_token.split(".")
    return f"{b64url({'alg': 'none', 'typ': 'JWT'})}.{payload}."


def signed_by_another_key(id_token: str, claims: dict) -> str:
    """Same claims and even our kid, signed with a key that is not ours."""
    kid = json.loads(base64.urlsafe_b64decode(id_token.split(".")[0] + "==="))["kid"]
    key = RSAKey.generate_key(2048, private=True)
    return jwt.encode({"alg": "RS256", "kid": kid}, claims, key)


@pytest.mark.parametrize("variant", ["unregistered-uri", "query-added", "alg-none-hint", "foreign-key-hint",
                                     "no-hint"])
async def test_bad_logout_requests_never_redirect(put, browser, variant):
    tokens = await sign_in(put, browser)
    hint, uri = tokens["id_token"], logged_out_uri(put.rp)
    if variant == "unregistered-uri":
        uri = f"{RP}/elsewhere/logged-out"
    elif variant == "query-added":
        uri += "?foo=bar"
    elif variant == "alg-none-hint":
        hint = alg_none(hint)
    elif variant == "foreign-key-hint":
        hint = signed_by_another_key(hint, await claims_of(put, hint))
    params = {"id_token_hint": hint, "post_logout_redirect_uri": uri, "state": "s1"}
    if variant == "no-hint":
        del params["id_token_hint"]
    response = await end_session(browser, **params)
    assert_page_without_redirect(response)
    # A forged or mistaken request is no way to log somebody out either.
    await assert_still_logged_in(browser, put)


async def test_no_params_asks_for_confirmation_and_confirming_logs_out(put, browser):
    await sign_in(put, browser)
    page = await end_session(browser)
    assert page.status_code == 200
    assert_page_without_redirect(page)
    assert 'action="/logout/confirm"' in page.text
    await assert_still_logged_in(browser, put)  # a GET alone never ends the session
    done = await browser.client.post("/logout/confirm", data={**hidden_fields(page.text), "action": "logout"})
    assert_page_without_redirect(done)
    assert LOGGED_OUT in done.text
    await assert_logged_out(browser, put)


async def test_confirmation_with_a_bad_csrf_token_is_refused(put, browser):
    await sign_in(put, browser)
    page = await end_session(browser)
    fields = {**hidden_fields(page.text), "action": "logout"}
    for forged in ({**fields, "csrf_token": "x" * 43}, {k: v for k, v in fields.items() if k != "csrf_token"}):
        response = await browser.client.post("/logout/confirm", data=forged)
        assert response.status_code == 403
        assert LOGGED_OUT not in response.text
    await assert_still_logged_in(browser, put)


async def test_cancelling_the_confirmation_keeps_the_session(put, browser):
    await sign_in(put, browser)
    page = await end_session(browser)
    response = await browser.client.post("/logout/confirm", data={**hidden_fields(page.text), "action": "stay"})
    assert_page_without_redirect(response)
    assert LOGGED_OUT not in response.text
    await assert_still_logged_in(browser, put)


async def test_only_state_shows_pages_and_never_redirects(put, browser):
    await sign_in(put, browser)
    page = await end_session(browser, state="only-state")
    assert_page_without_redirect(page)
    done = await browser.client.post("/logout/confirm", data={**hidden_fields(page.text), "action": "logout"})
    assert_page_without_redirect(done)
    assert LOGGED_OUT in done.text
    await assert_logged_out(browser, put)


async def test_hint_of_an_earlier_session_asks_before_logging_out(put, browser):
    old = await sign_in(put, browser)
    await end_session(browser, id_token_hint=old["id_token"], post_logout_redirect_uri=logged_out_uri(put.rp))
    await sign_in(put, browser)  # a new session: the old hint no longer names it
    page = await end_session(browser, id_token_hint=old["id_token"], post_logout_redirect_uri=logged_out_uri(put.rp),
                             state="s2")
    assert_page_without_redirect(page)
    await assert_still_logged_in(browser, put)
    # Confirmed, it goes back to the URI the hint's client registered, with the state.
    done = await browser.client.post("/logout/confirm", data={**hidden_fields(page.text), "action": "logout"})
    assert done.status_code == 303
    assert done.headers["location"] == logged_out_uri(put.rp) + "?state=s2"
    await assert_logged_out(browser, put)


async def test_logout_without_a_session_shows_the_logged_out_page(put, browser):
    response = await end_session(browser)
    assert response.status_code == 200
    assert_page_without_redirect(response)
    assert LOGGED_OUT in response.text


async def test_confirm_without_a_session_does_not_redirect_on_form_data(put, browser):
    """The confirmation form's hidden fields are the user's to edit: without the session (and
    its CSRF secret) behind them they must not steer a redirect."""
    response = await browser.client.post("/logout/confirm", data={
        "csrf_token": "", "redirect": logged_out_uri(put.rp), "state": "s3", "action": "logout"})
    assert_page_without_redirect(response)


async def test_logout_revokes_session_tokens_but_not_offline_access(put, browser):
    rp2 = await put.add_client("rp2")
    online = await sign_in(put, browser)
    offline = await sign_in(put, browser, rp2, scope="openid offline_access")
    assert "refresh_token" in offline and "refresh_token" not in online
    response = await end_session(browser, id_token_hint=online["id_token"],
                                 post_logout_redirect_uri=logged_out_uri(put.rp))
    assert response.status_code == 303
    assert await userinfo_status(put, online["access_token"]) == 401
    # offline_access is asked for to outlive the browser session (documented design).
    async with put.http() as http:
        refreshed = await http.post("/token", auth=(rp2.client_id, rp2.client_secret),
                                    data={"grant_type": "refresh_token", "refresh_token": offline["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    assert await userinfo_status(put, refreshed.json()["access_token"]) == 200
    assert (await session_row(put, cookie(put, browser))).ended_at is not None


async def test_a_code_issued_before_logout_cannot_be_redeemed_after_it(put, browser):
    params, verifier = authorization_params(put.rp)
    code = callback_params(await browser.authorize(params))["code"]
    page = await end_session(browser)
    await browser.client.post("/logout/confirm", data={**hidden_fields(page.text), "action": "logout"})
    async with put.http() as http:
        response = await http.post("/token", auth=(put.rp.client_id, put.rp.client_secret), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": put.rp.redirect_uri,
            "code_verifier": verifier})
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


# --- the hint must be an ID token of this provider --------------------------------------------

async def resigned(put, token: str, **changes) -> str:
    """The token's claims changed and signed again with the portal's own key: only the claims
    checks (not the signature) can tell it apart."""
    return jws.sign(await put.portal.key_ring(), {**await claims_of(put, token), **changes})


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_an_access_token_as_hint_ends_no_session(put, browser, method):
    """Any resource server holds the user's access token (RFC 9068 ``typ: at+jwt``): it is no
    id_token_hint, and least of all one that logs the user out without asking."""
    tokens = await sign_in(put, browser)
    response = await end_session(browser, method, id_token_hint=tokens["access_token"],
                                 post_logout_redirect_uri=logged_out_uri(put.rp), state="s4")
    assert_page_without_redirect(response)
    await assert_still_logged_in(browser, put)


async def test_a_hint_from_another_issuer_ends_no_session(put, browser):
    tokens = await sign_in(put, browser)
    hint = await resigned(put, tokens["id_token"], iss="https://elsewhere.example.test")
    response = await end_session(browser, id_token_hint=hint, post_logout_redirect_uri=logged_out_uri(put.rp))
    assert_page_without_redirect(response)
    await assert_still_logged_in(browser, put)


async def test_an_expired_hint_of_this_session_asks_before_logging_out(put, browser):
    """RP-Initiated Logout 1.0 §2/§4: an expired ID token still names the client and session,
    but no longer vouches for the request: the user confirms, then goes back with the state."""
    tokens = await sign_in(put, browser)
    claims = await claims_of(put, tokens["id_token"])
    hint = await resigned(put, tokens["id_token"], exp=claims["iat"] - 1)
    page = await end_session(browser, id_token_hint=hint, post_logout_redirect_uri=logged_out_uri(put.rp),
                             state="s5")
    assert page.status_code == 200 and 'action="/logout/confirm"' in page.text
    assert_page_without_redirect(page)
    await assert_still_logged_in(browser, put)
    done = await browser.client.post("/logout/confirm", data={**hidden_fields(page.text), "action": "logout"})
    assert done.status_code == 303
    assert done.headers["location"] == logged_out_uri(put.rp) + "?state=s5"
    await assert_logged_out(browser, put)


async def test_a_post_without_the_session_cookie_is_posted_again_from_the_portal(put, browser):
    """A business system on another site posts its logout form: the browser withholds the
    portal's SameSite=Lax session cookie from that cross-site POST. The portal must not answer
    "logged out" then; its own page posts the request again, same-site, cookie included."""
    tokens = await sign_in(put, browser)
    fields = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": logged_out_uri(put.rp), "state": "s6"}
    async with put.http() as cross_site:  # no cookies, as the browser sends that POST
        page = await cross_site.post("/logout", data=fields)
    assert page.status_code == 200 and 'action="/logout" data-autosubmit' in page.text
    assert_page_without_redirect(page)
    assert '<script src="/static/autosubmit.js"></script>' in page.text and "<noscript>" in page.text
    resubmitted = hidden_fields(page.text)
    assert {k: resubmitted[k] for k in fields} == fields
    await assert_still_logged_in(browser, put)

    done = await browser.client.post("/logout", data=resubmitted)  # same-site now: the cookie goes along
    assert done.status_code == 303 and done.headers["location"] == logged_out_uri(put.rp) + "?state=s6"
    await assert_logged_out(browser, put)
    async with put.http() as still_without_cookie:  # posted again and still no session: done, no loop
        again = await still_without_cookie.post("/logout", data=resubmitted)
    assert again.status_code == 303
