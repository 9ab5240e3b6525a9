"""Logging out of a business system: its back-channel logout receiver (OIDC Back-Channel
Logout 1.0), which ends the system's sessions of a portal session, refusing any logout token
that fails verification; and its logout button, which also logs out at the portal
(RP-initiated logout)."""
from __future__ import annotations

import re
import time
from html import unescape

import pytest
from sqlalchemy import select

from idp.oidc.logout import single_logout
from idp.oidc.models import LogoutDelivery
from idp.sessions.models import UserSession
from tests.support.forgery import expired, hmac_with_public_key, signed_by_portal, signed_by_stranger
from tests.support.portal import ISSUER, Browser, hidden_fields
from tests.support.systems import sso

EVENT = "http://schemas.openid.net/event/backchannel-logout"


async def logged_in(browser, udi, udi_browser, username="zhangsan"):
    """SSO into the system as ``username``; that login's session row in the system."""
    before = {s.id_digest for s in await udi.logged_in_sessions()}
    assert (await sso(udi_browser, browser, username=username)).status_code == 303
    (session,) = [s for s in await udi.logged_in_sessions() if s.id_digest not in before]
    return session


async def portal_sessions_alive(put) -> int:
    async with put.portal.sessionmaker() as db:
        return len((await db.scalars(select(UserSession.sid).where(UserSession.ended_at.is_(None)))).all())


async def test_logging_out_at_the_portal_ends_the_system_session_of_that_portal_session(put, browser, udi,
                                                                                       udi_browser):
    await udi.link(put.account.subject, "udi_demo")
    other = await put.add_account("lisi", name="李四")
    await udi.link(other.subject, "udi_demo2")
    await logged_in(browser, udi, udi_browser)
    other_portal = Browser(put)
    async with udi.browser() as other_udi_browser:
        await logged_in(other_portal, udi, other_udi_browser, username="lisi")
        assert len(await udi.logged_in_sessions()) == 2

        confirm = await browser.go("/logout")  # on the portal, without an ID token: it asks first
        done = await browser.go("/logout/confirm", method="POST",
                                data={**hidden_fields(confirm.text), "action": "logout"})
        assert done.status_code == 200
        await single_logout.wait_for_background_deliveries()

        async with put.portal.sessionmaker() as db:
            (delivery,) = (await db.scalars(select(LogoutDelivery).where(LogoutDelivery.client_id == "udi"))).all()
        assert delivery.delivered_at is not None and delivery.last_error is None  # the system answered 200
        assert 'id="not-logged-in"' in (await udi_browser.get("/")).text
        (remaining,) = await udi.logged_in_sessions()  # lisi's portal session goes on, and so does his here
        assert 'id="local-username">udi_demo2<' in (await other_udi_browser.get("/")).text
        assert remaining.portal_subject == other.subject
    await other_portal.aclose()


async def test_the_logout_button_also_logs_out_at_the_portal(put, browser, udi, udi_browser):
    await udi.link(put.account.subject, "udi_demo")
    session = await logged_in(browser, udi, udi_browser)
    home = await udi_browser.get("/")

    to_portal = await udi_browser.post("/logout", data=hidden_fields(home.text))
    assert await udi.logged_in_sessions() == []
    # A page whose form the browser posts to the portal at once: the ID token travels in the
    # body, never in a URL that access logs, history and Referer keep (RP-Initiated Logout §2).
    assert to_portal.status_code == 200 and "location" not in to_portal.headers
    action, fields = end_session_form(to_portal.text)
    assert action == f"{ISSUER}/logout"
    assert fields == {"id_token_hint": session.id_token, "post_logout_redirect_uri": f"{udi.base_url}/",
                      "client_id": "udi"}
    assert '<script src="/static/autosubmit.js"></script>' in to_portal.text and "<noscript>" in to_portal.text
    assert "script-src 'self'" in to_portal.headers["content-security-policy"]
    assert "autosubmit" in (await udi_browser.get("/static/autosubmit.js")).text

    back = await browser.go(action, method="POST", data=fields)
    assert back.status_code == 303 and back.headers["location"] == f"{udi.base_url}/"
    assert await portal_sessions_alive(put) == 0
    assert 'id="not-logged-in"' in (await udi_browser.get(back.headers["location"])).text


def end_session_form(html: str) -> tuple[str, dict[str, str]]:
    """The auto-submitting form: its action (POST) and hidden fields."""
    match = re.search(r'<form method="post" action="([^"]+)" data-autosubmit>', html)
    assert match, html
    return unescape(match.group(1)), hidden_fields(html)


def logout_claims(session, **changes) -> dict:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "udi", "sub": session.portal_subject, "sid": session.portal_sid,
              "iat": now, "exp": now + 120, "jti": f"jti-{now}", "events": {EVENT: {}}}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


async def post_logout_token(udi_browser, token: str):
    return await udi_browser.post("/auth/backchannel-logout", data={"logout_token": token})


async def test_a_valid_logout_token_ends_the_session_and_a_repeat_changes_nothing(put, browser, udi, udi_browser):
    await udi.link(put.account.subject, "udi_demo")
    session = await logged_in(browser, udi, udi_browser)
    token = await signed_by_portal(put, logout_claims(session), typ="logout+jwt")
    async with udi.browser() as portal_side:  # no cookies: the portal calls server to server
        first, again = await post_logout_token(portal_side, token), await post_logout_token(portal_side, token)
    assert first.status_code == again.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    assert await udi.logged_in_sessions() == []


def refusals(put):
    def claims(**changes):
        return lambda session: logout_claims(session, **changes)

    async def stranger(session):
        return signed_by_stranger(logout_claims(session), typ="logout+jwt")

    async def hs256(session):
        return await hmac_with_public_key(put, logout_claims(session), typ="logout+jwt")

    async def the_id_token(session):
        return session.id_token

    def signed(claims_of, typ="logout+jwt"):
        async def make(session):
            return await signed_by_portal(put, claims_of(session), typ=typ)
        return make

    return {
        "unknown key": (stranger, "unknown signing key"),
        "HS256 with the public key": (hs256, "algorithm does not fit the key"),
        "wrong issuer": (signed(claims(iss="https://evil.example.test")), "Invalid issuer"),
        "other audience": (signed(claims(aud="rp")), "Invalid audience"),
        "expired": (signed(lambda s: expired(logout_claims(s))), "expired"),
        "no events": (signed(claims(events=None)), "no back-channel logout event"),
        "other event": (signed(claims(events={"urn:other": {}})), "no back-channel logout event"),
        "a nonce": (signed(claims(nonce="n")), "a logout token has no nonce"),
        "neither sid nor sub": (signed(claims(sid=None, sub=None)), "neither sid nor sub"),
        "typed as an ID token": (signed(logout_claims, typ="JWT"), "unexpected token type"),
        "the ID token itself": (the_id_token, "unexpected token type"),
    }


@pytest.mark.parametrize("case", ["unknown key", "HS256 with the public key", "wrong issuer", "other audience",
                                  "expired", "no events", "other event", "a nonce", "neither sid nor sub",
                                  "typed as an ID token", "the ID token itself"])
async def test_a_logout_token_that_fails_verification_is_refused(put, browser, udi, udi_browser, case):
    await udi.link(put.account.subject, "udi_demo")
    session = await logged_in(browser, udi, udi_browser)
    make, reason = refusals(put)[case]
    async with udi.browser() as portal_side:
        response = await post_logout_token(portal_side, await make(session))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request" and reason in response.json()["error_description"]
    assert len(await udi.logged_in_sessions()) == 1  # still logged in


async def test_a_logout_request_without_a_token_is_refused(udi, udi_browser):
    response = await udi_browser.post("/auth/backchannel-logout", data={})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
