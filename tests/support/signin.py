"""Signing in through the browser and redeeming the code, for the session and logout tests."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select, update

from idp.audit.models import AuditEvent
from idp.oidc.logout import single_logout
from idp.oidc.logout.backchannel import deliver_due
from idp.security.tokens import digest
from idp.sessions.models import UserSession
from idp.sessions.store import session_cookie_name
from tests.support.portal import Browser, PortalUnderTest, RegisteredClient, callback_params


def authorization_params(client: RegisteredClient, *, scope: str = "openid profile", **extra) -> tuple[dict, str]:
    """A code-flow request with PKCE S256; returns (params, code_verifier)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code", "client_id": client.client_id, "redirect_uri": client.redirect_uri,
        "scope": scope, "state": secrets.token_urlsafe(12), "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge, "code_challenge_method": "S256", **extra,
    }
    return params, verifier


async def redeem(put: PortalUnderTest, client: RegisteredClient, code: str, verifier: str) -> dict:
    async with put.http() as http:
        response = await http.post(
            "/token", auth=(client.client_id, client.client_secret),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri,
                  "code_verifier": verifier},
        )
    assert response.status_code == 200, response.text
    return response.json()


async def sign_in(put: PortalUnderTest, browser: Browser, client: RegisteredClient | None = None,
                  *, scope: str = "openid profile", username: str = "zhangsan", **extra) -> dict:
    """Authorize (logging in when the portal asks) and redeem the code: the token response."""
    client = client or put.rp
    params, verifier = authorization_params(client, scope=scope, **extra)
    callback = callback_params(await browser.authorize(params, username=username))
    assert callback.get("state") == params["state"] and "code" in callback, callback
    return await redeem(put, client, callback["code"], verifier)


async def silent_authorize(browser: Browser, client: RegisteredClient) -> dict:
    """prompt=none: the callback parameters (a code when the session is alive, else an error)."""
    params, _ = authorization_params(client, prompt="none")
    response = await browser.client.get("/authorize?" + urlencode(params))
    callback = callback_params(response)
    assert response.headers["location"].startswith(client.redirect_uri + "?")
    assert callback["state"] == params["state"]
    return callback


async def claims_of(put: PortalUnderTest, token: str) -> dict:
    """Verify a token we were given against the published JWKS, like a relying party does."""
    async with put.http() as http:
        jwks = (await http.get("/jwks")).json()
    return jwt.decode(token, KeySet.import_key_set(jwks)).claims


async def userinfo_status(put: PortalUnderTest, access_token: str) -> int:
    async with put.http() as http:
        return (await http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})).status_code


def cookie(put: PortalUnderTest, browser: Browser) -> str | None:
    return browser.client.cookies.get(session_cookie_name(put.settings))


async def session_row(put: PortalUnderTest, cookie_value: str) -> UserSession | None:
    async with put.portal.sessionmaker() as db:
        return await db.scalar(select(UserSession).where(UserSession.id_digest == digest(cookie_value)))


async def age_session(put: PortalUnderTest, cookie_value: str, **columns: dt.timedelta) -> None:
    """Move a session's timestamps into the past (e.g. last_seen_at=timedelta(hours=1))."""
    now = dt.datetime.now(dt.UTC)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(UserSession).where(UserSession.id_digest == digest(cookie_value))
                         .values(**{name: now - delta for name, delta in columns.items()}))


async def audit_events(put: PortalUnderTest, event: str) -> list[AuditEvent]:
    async with put.portal.sessionmaker() as db:
        return list((await db.scalars(select(AuditEvent).where(AuditEvent.event == event)
                                      .order_by(AuditEvent.id))).all())


async def settle_backchannel(put: PortalUnderTest) -> int:
    """Let the deliveries a logout started in the background finish, then deliver what is due."""
    await single_logout.wait_for_background_deliveries()
    return await deliver_due(put.portal)


def received_tokens(put: PortalUnderTest, host: str) -> list[str]:
    return [token for url, token in put.backchannel.received if httpx.URL(url).host == host]
