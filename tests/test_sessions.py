"""Login sessions (the cookie, the server-side row, timeouts, fixation, several instances),
third-party-initiated login (OIDC Core §4) and the audit log of session events."""
import datetime as dt
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from idp.security.tokens import digest
from idp.sessions.models import UserSession
from tests.support.portal import ISSUER, Browser, hidden_fields, running_portal, test_settings
from tests.support.signin import (
    age_session,
    audit_events,
    claims_of,
    cookie,
    received_tokens,
    session_row,
    settle_backchannel,
    sign_in,
    silent_authorize,
)

COOKIE = "__Host-idp_session"


def set_cookies(responses: list[httpx.Response], name: str) -> list[SimpleCookie]:
    found = []
    for response in responses:
        for header in response.headers.get_list("set-cookie"):
            parsed = SimpleCookie(header)
            if name in parsed:
                found.append(parsed)
    return found


async def log_in_watching_responses(browser: Browser) -> list[httpx.Response]:
    seen: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        seen.append(response)

    browser.client.event_hooks["response"].append(keep)
    await browser.login(await browser.go("/login"))
    browser.client.event_hooks["response"].remove(keep)
    return seen


async def confirm_logout(browser: Browser, page: httpx.Response) -> httpx.Response:
    return await browser.go("/logout/confirm", method="POST", data={**hidden_fields(page.text), "action": "logout"})


async def test_session_cookie_is_host_only_secure_httponly_lax_and_stored_as_a_digest(put, browser):
    browser.client.cookies.set(COOKIE, "attacker-chosen-value", domain=urlsplit(ISSUER).hostname)
    [issued] = set_cookies(await log_in_watching_responses(browser), COOKIE)
    morsel = issued[COOKIE]
    assert morsel["httponly"] and morsel["secure"]
    assert morsel["samesite"].lower() == "lax" and morsel["path"] == "/" and not morsel["domain"]
    value = morsel.value
    assert value != "attacker-chosen-value" and len(value) >= 43  # a new random value: no fixation
    row = await session_row(put, value)
    assert row is not None and row.id_digest == digest(value)
    async with put.portal.sessionmaker() as db:
        stored = (await db.execute(select(UserSession.id_digest, UserSession.sid, UserSession.csrf_secret))).all()
    assert value not in {column for r in stored for column in r}
    assert await session_row(put, "attacker-chosen-value") is None


async def test_over_plain_http_the_cookie_is_not_secure_so_development_logins_work(put):
    async with running_portal(put.settings.database_url, issuer="http://127.0.0.1:8000") as dev:
        browser = Browser(dev)
        try:
            [issued] = set_cookies(await log_in_watching_responses(browser), "idp_session")
        finally:
            await browser.aclose()
    assert not issued["idp_session"]["secure"] and issued["idp_session"]["httponly"]


async def test_a_deployment_s_cookie_prefix_keeps_its_cookies_apart_from_another_s_on_the_same_host(put):
    """Cookies are per host, not per port: `make run`'s supervision portal on 127.0.0.1 names its
    own (IDP_COOKIE_PREFIX), so a login there does not overwrite the portal's session."""
    async with running_portal(put.settings.database_url, issuer="http://127.0.0.1:8000",
                              cookie_prefix="supervision_") as other:
        browser = Browser(other)
        try:
            responses = await log_in_watching_responses(browser)
        finally:
            await browser.aclose()
    assert set_cookies(responses, "supervision_idp_session") and not set_cookies(responses, "idp_session")
    assert set_cookies(responses, "supervision_idp_browser")


def test_a_cookie_prefix_is_a_plain_name():
    with pytest.raises(ValueError, match="IDP_COOKIE_PREFIX"):
        test_settings("sqlite+aiosqlite://", cookie_prefix="a=b; Domain=evil")


async def test_activity_keeps_a_session_and_idleness_ends_it(put, browser):
    await sign_in(put, browser)
    value = cookie(put, browser)
    idle = put.settings.session_idle_seconds
    await age_session(put, value, last_seen_at=dt.timedelta(seconds=idle - 120))
    assert "code" in await silent_authorize(browser, put.rp)  # still alive, and now touched
    assert (dt.datetime.now(dt.UTC) - (await session_row(put, value)).last_seen_at).total_seconds() < 60
    await age_session(put, value, last_seen_at=dt.timedelta(seconds=idle + 1))
    assert (await silent_authorize(browser, put.rp))["error"] == "login_required"
    home = await browser.client.get("/")
    assert home.is_redirect and home.headers["location"].startswith("/login")


async def test_a_session_ends_at_its_absolute_lifetime_however_active(put, browser):
    await sign_in(put, browser)
    value = cookie(put, browser)
    row = await session_row(put, value)
    assert (row.expires_at - row.created_at).total_seconds() == put.settings.session_absolute_seconds
    await age_session(put, value, expires_at=dt.timedelta(seconds=1))
    assert (await silent_authorize(browser, put.rp))["error"] == "login_required"


async def test_logging_in_again_as_the_same_user_keeps_the_session_with_a_new_cookie(put, browser):
    first = await sign_in(put, browser)
    old_cookie = cookie(put, browser)
    first_claims = await claims_of(put, first["id_token"])
    second = await sign_in(put, browser, prompt="login")
    new_cookie = cookie(put, browser)
    assert new_cookie != old_cookie  # no fixation: the cookie value changes on every login
    second_claims = await claims_of(put, second["id_token"])
    assert second_claims["sid"] == first_claims["sid"]  # the business systems stay logged in
    assert second_claims["auth_time"] >= first_claims["auth_time"]
    await settle_backchannel(put)
    assert received_tokens(put, "rp.rp.example.test") == []
    stale = Browser(put)
    try:
        stale.client.cookies.set(COOKIE, old_cookie, domain=urlsplit(ISSUER).hostname)
        assert (await silent_authorize(stale, put.rp))["error"] == "login_required"
    finally:
        await stale.aclose()
    assert "code" in await silent_authorize(browser, put.rp)


async def test_another_user_logging_in_ends_the_previous_session(put, browser):
    await put.add_account("lisi", name="李四")
    first = await sign_in(put, browser)
    old_cookie = cookie(put, browser)
    second = await sign_in(put, browser, prompt="login", username="lisi")
    assert cookie(put, browser) != old_cookie
    old_sid = (await claims_of(put, first["id_token"]))["sid"]
    assert (await claims_of(put, second["id_token"]))["sid"] != old_sid
    assert (await session_row(put, old_cookie)).ended_at is not None
    await settle_backchannel(put)
    [token] = received_tokens(put, "rp.rp.example.test")
    assert (await claims_of(put, token))["sid"] == old_sid


async def test_a_second_instance_on_the_same_database_shares_sessions(put, browser):
    await sign_in(put, browser)
    async with running_portal(put.settings.database_url) as other:
        elsewhere = Browser(other)
        try:
            elsewhere.client.cookies = httpx.Cookies(browser.client.cookies)
            assert "code" in await silent_authorize(elsewhere, put.rp)
            page = await elsewhere.go("/logout")  # logging out on the second instance…
            done = await confirm_logout(elsewhere, page)
            assert "您已安全退出" in done.text
        finally:
            await elsewhere.aclose()
    assert (await silent_authorize(browser, put.rp))["error"] == "login_required"  # …ends it on the first


@pytest.fixture
async def sso_client(put):
    # A system outside 授权绑定 (no binding URIs): the portal sends the user straight on.
    return await put.add_client("tp", initiate_login_uri="https://tp.rp.example.test/sso/start?from=portal",
                                binding_start_uri=None, binding_api_uri=None)


async def test_third_party_login_sends_the_user_to_the_clients_initiate_login_uri(put, browser, sso_client):
    await sign_in(put, browser)
    response = await browser.client.get("/sso/tp")
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == "https://tp.rp.example.test/sso/start"
    params = parse_qs(target.query)
    assert params["from"] == ["portal"] and params["iss"] == [ISSUER]
    # Where the system should land the user after its own login: its home, never its callback.
    assert params["target_link_uri"] == ["https://tp.rp.example.test/"]


async def test_third_party_login_without_a_session_goes_to_the_login_page(put, browser, sso_client):
    response = await browser.client.get("/sso/tp")
    assert response.is_redirect and urlsplit(response.headers["location"]).path == "/login"


@pytest.mark.parametrize("client_id", ["rp", "no-such-system"])
async def test_third_party_login_to_a_system_without_initiate_login_uri_is_a_404_page(put, browser, client_id):
    await sign_in(put, browser)
    response = await browser.client.get(f"/sso/{client_id}")
    assert response.status_code == 404 and "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")


def assert_recent(event) -> None:
    assert abs((dt.datetime.now(dt.UTC) - event.at).total_seconds()) < 60


async def test_logins_and_logouts_are_audited_with_time_actor_and_address(put, browser):
    page = await browser.go("/login")
    failed_page = await browser.login(page, password="Wrong@2026pass")
    assert "输入的用户名或密码错误" in failed_page.text
    await browser.login(failed_page)
    await confirm_logout(browser, await browser.go("/logout"))
    for name, outcome in (("login.failed", "failure"), ("login.succeeded", "success"), ("session.logout", "success")):
        [event] = await audit_events(put, name)
        assert event.outcome == outcome and event.actor == put.account.subject
        assert event.source_ip == "127.0.0.1"
        assert_recent(event)


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET event = 'tampered'", "DELETE FROM audit_events"])
async def test_the_audit_log_is_append_only(put, statement):
    before = await audit_events(put, "account.created")
    assert before
    with pytest.raises(DBAPIError, match="append-only"):
        async with put.portal.sessionmaker.begin() as db:
            await db.execute(text(statement))
    after = await audit_events(put, "account.created")
    assert [(e.id, e.event) for e in after] == [(e.id, e.event) for e in before]
