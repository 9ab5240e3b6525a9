"""Logging in to a business system through the portal: the code flow with PKCE from the
system's /auth/login (and from the portal's 我的绑定 link, third-party-initiated), the link
lookup by sub, and the checks on the callback (state, RFC 9207 iss)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import select

from idp.sessions.models import UserSession
from shared.messages import text
from tests.support.bindings import bound_on_portal
from tests.support.portal import ISSUER
from tests.support.systems import sso


def cell(page, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', page.text)
    assert match, f"no #{element_id} on the page"
    return match.group(1)


async def test_a_linked_portal_account_logs_in_to_its_local_account(put, browser, udi, udi_browser):
    await udi.link(put.account.subject, "udi_demo")

    callback = await sso(udi_browser, browser)
    assert callback.status_code == 303 and callback.headers["location"] == "/"
    home = await udi_browser.get("/")
    assert cell(home, "local-username") == "udi_demo"
    assert cell(home, "login-method") == "政务服务门户单点登录"
    assert cell(home, "portal-sub") == put.account.subject
    assert cell(home, "portal-name") == "张三"
    assert cell(home, "portal-account-type") == "个人账号"
    assert cell(home, "portal-enterprise") == "—"
    # The session knows its portal session (sid), for the back-channel logout.
    (session,) = await udi.logged_in_sessions()
    async with put.portal.sessionmaker() as db:
        portal_sids = (await db.scalars(select(UserSession.sid))).all()
    assert session.portal_sid in portal_sids and session.portal_subject == put.account.subject


async def test_the_request_uses_pkce_s256_a_nonce_and_the_registered_callback(udi, udi_browser):
    to_portal = await udi_browser.get("/auth/login")
    params = {k: v[0] for k, v in parse_qs(urlsplit(to_portal.headers["location"]).query).items()}
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["redirect_uri"] == f"{udi.base_url}/auth/callback" and params["client_id"] == "udi"
    assert params["response_type"] == "code" and params["nonce"] and params["state"]
    assert "openid" in params["scope"].split()


async def test_a_legal_person_enters_from_the_portal_and_sees_the_enterprise(put, browser, udi, udi_browser):
    legal = await put.add_account("demo_enterprise", name="李四", account_type="legal_person",
                                  enterprise_name="示例医疗器械有限公司", credit_code="91110105PDY0001752")
    await udi.link(legal.subject, "udi_demo2")
    await bound_on_portal(put, legal, "udi")  # /sso/<client> needs the portal's half too
    await browser.go("/login")  # logged in at the portal first, then into the system by its link
    await browser.login(browser.last, "demo_enterprise")

    to_system = await browser.go("/sso/udi")
    initiate = urlsplit(to_system.headers["location"])
    assert f"{initiate.scheme}://{initiate.netloc}{initiate.path}" == f"{udi.base_url}/auth/login"
    callback = await sso(udi_browser, browser, f"/auth/login?{initiate.query}", username=None)
    assert callback.status_code == 303 and callback.headers["location"] == "/"
    home = await udi_browser.get("/")
    assert cell(home, "local-username") == "udi_demo2"
    assert cell(home, "portal-account-type") == "法人账号"
    assert cell(home, "portal-enterprise") == "示例医疗器械有限公司（统一社会信用代码：91110105PDY0001752）"


async def test_a_portal_account_without_a_link_is_told_to_bind_and_not_logged_in(put, browser, udi, udi_browser):
    await udi.link("some-other-subject", "udi_demo")

    callback = await sso(udi_browser, browser)
    assert callback.status_code == 403
    assert text("system.not_linked") in callback.text
    assert "尚未授权绑定本系统" in callback.text and "我的绑定" in callback.text
    assert await udi.logged_in_sessions() == []
    assert 'id="not-logged-in"' in (await udi_browser.get("/")).text


async def test_initiate_login_from_another_issuer_is_refused(udi, udi_browser):
    response = await udi_browser.get("/auth/login?" + urlencode({"iss": "https://evil.example.test"}))
    assert response.status_code == 400 and "location" not in response.headers
    assert text("system.login.wrong_issuer") in response.text
    # Our own issuer, byte for byte, starts the login.
    response = await udi_browser.get("/auth/login?" + urlencode({"iss": ISSUER}))
    assert response.status_code == 303 and response.headers["location"].startswith(f"{ISSUER}/authorize?")


async def test_target_link_uri_is_followed_only_within_the_system(put, browser, udi, udi_browser):
    await udi.link(put.account.subject, "udi_demo")
    outside = "/auth/login?" + urlencode({"iss": ISSUER, "target_link_uri": "https://evil.example.test/steal"})
    assert (await sso(udi_browser, browser, outside)).headers["location"] == "/"
    inside = "/auth/login?" + urlencode({"iss": ISSUER, "target_link_uri": f"{udi.base_url}/?tab=records"})
    assert (await sso(udi_browser, browser, inside)).headers["location"] == "/?tab=records"


async def test_a_callback_is_accepted_once_and_only_in_the_browser_that_started_it(put, browser, udi,
                                                                                   udi_browser):
    await udi.link(put.account.subject, "udi_demo")
    to_portal = await udi_browser.get("/auth/login")
    query = dict(parse_qs(urlsplit(to_portal.headers["location"]).query))
    back = await browser.authorize({k: v[0] for k, v in query.items()})
    callback_url = back.headers["location"]

    async with udi.browser() as other_browser:  # login CSRF: someone else's callback URL
        foreign = await other_browser.get(callback_url)
    assert foreign.status_code == 400 and text("system.login.expired") in foreign.text
    assert (await udi_browser.get(callback_url)).status_code == 303
    replay = await udi_browser.get(callback_url)
    assert replay.status_code == 400 and text("system.login.expired") in replay.text


async def test_the_callback_requires_the_portal_as_iss(put, browser, udi, udi_browser):
    """RFC 9207 §2.4: a response without iss, or naming another issuer, is refused (mix-up)."""
    await udi.link(put.account.subject, "udi_demo")
    for iss in (None, "https://evil.example.test"):
        to_portal = await udi_browser.get("/auth/login")
        query = {k: v[0] for k, v in parse_qs(urlsplit(to_portal.headers["location"]).query).items()}
        params = {k: v[0] for k, v in parse_qs(urlsplit(
            (await browser.authorize(query)).headers["location"]).query).items()}
        assert params["iss"] == ISSUER
        params.pop("iss") if iss is None else params.update(iss=iss)
        response = await udi_browser.get("/auth/callback?" + urlencode(params))
        assert response.status_code == 400 and text("system.login.wrong_issuer") in response.text
    assert await udi.logged_in_sessions() == []


async def test_an_error_from_the_portal_logs_nobody_in(udi, udi_browser):
    to_portal = await udi_browser.get("/auth/login")
    state = parse_qs(urlsplit(to_portal.headers["location"]).query)["state"][0]
    response = await udi_browser.get("/auth/callback?" + urlencode(
        {"error": "access_denied", "state": state, "iss": ISSUER}))
    assert response.status_code == 400 and text("system.login.denied") in response.text
    assert await udi.logged_in_sessions() == []
