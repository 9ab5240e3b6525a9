"""The portal as it is deployed: uvicorn processes on loopback ports (started by the integration
harness, idp.testing, whose PortalClient plays the user), a relying party speaking real HTTP
through Authlib's client, a back-channel logout endpoint on its own port, and two
instances sharing one database and one issuer (TEST_DATABASE_URL selects the database)."""
from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from idp.keys.models import SigningKey
from idp.sessions.store import session_cookie_name
from idp.settings import Settings
from idp.testing.client import PortalClient
from tests.support.live import (
    BackchannelReceiver,
    admin_session,
    downgrade_to_base,
    free_port,
    live_portals,
    redirect_params,
    register_account,
    register_client,
)

EVENT = "http://schemas.openid.net/event/backchannel-logout"
SCOPE = "openid profile offline_access"


@pytest.fixture
def receiver():
    server = BackchannelReceiver().start()
    try:
        yield server
    finally:
        server.stop()


async def register(database_url: str, receiver: BackchannelReceiver):
    """One relying party (its back-channel endpoint is ``receiver``; its callback URL needs no
    listener, the browser hands the redirect over) and the account zhangsan."""
    client = await register_client(database_url, "liverp", rp_base=f"http://127.0.0.1:{free_port()}",
                                   backchannel_logout_uri=receiver.uri)
    account = await register_account(database_url, "zhangsan")
    return client, account


def relying_party(client) -> AsyncOAuth2Client:
    """Authlib's client: an independent implementation of the RP side."""
    return AsyncOAuth2Client(client_id=client.client_id, client_secret=client.client_secret,
                             redirect_uri=client.redirect_uri, scope=SCOPE, code_challenge_method="S256",
                             timeout=10.0)


async def get_json(url: str) -> dict:
    async with httpx.AsyncClient(timeout=10.0) as http:
        response = await http.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def verify(token: str, jwks: dict, *, issuer: str, audience: str, typ: str | None = None) -> dict:
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256", "ES256"])
    if typ is not None:
        assert decoded.header.get("typ") == typ
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": issuer}, aud={"essential": True, "value": audience},
                          exp={"essential": True}, iat={"essential": True}).validate(decoded.claims)
    return decoded.claims


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


SILENT_VERIFIER = "silent-authorization-verifier-" + "v" * 20


def silent_authorize_url(base: str, client) -> str:
    """prompt=none (OIDC Core §3.1.2.1), with PKCE for the SILENT_VERIFIER."""
    challenge = base64.urlsafe_b64encode(hashlib.sha256(SILENT_VERIFIER.encode()).digest()).rstrip(b"=").decode()
    params = {"response_type": "code", "client_id": client.client_id, "redirect_uri": client.redirect_uri,
              "scope": "openid", "state": secrets.token_urlsafe(8), "prompt": "none",
              "code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{base}/authorize?{urlencode(params)}"


async def test_code_flow_refresh_and_backchannel_logout_over_real_http(databases, receiver, tmp_path):
    database_url = await databases.fresh()
    client, account = await register(database_url, receiver)
    async with live_portals(database_url, tmp_path) as (portal,), PortalClient(portal.url) as browser:
        metadata = await get_json(f"{portal.url}/.well-known/openid-configuration")
        assert metadata["issuer"] == portal.issuer
        jwks = await get_json(metadata["jwks_uri"])
        rp = relying_party(client)
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
        url, state = rp.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier,
                                                 nonce=nonce)

        callback = await browser.authorize(url, username="zhangsan")
        assert callback.startswith(client.redirect_uri + "?")
        params = query_of(callback)
        assert params["state"] == state and params["iss"] == portal.issuer

        token = await rp.fetch_token(metadata["token_endpoint"], authorization_response=callback,
                                     code_verifier=verifier)
        id_claims = verify(token["id_token"], jwks, issuer=portal.issuer, audience=client.client_id)
        assert id_claims["sub"] == account.subject and id_claims["nonce"] == nonce and id_claims["sid"]

        info = await rp.get(metadata["userinfo_endpoint"])
        assert info.status_code == 200 and info.json()["sub"] == account.subject and info.json()["name"] == "张三"

        first_refresh_token = token["refresh_token"]
        refreshed = await rp.refresh_token(metadata["token_endpoint"])
        assert refreshed["refresh_token"] != first_refresh_token
        assert refreshed["access_token"] != token["access_token"]
        info = await rp.get(metadata["userinfo_endpoint"])  # with the refreshed access token
        assert info.status_code == 200 and info.json()["sub"] == account.subject

        assert metadata["end_session_endpoint"] == f"{portal.issuer}/logout"
        logout = await browser.logout(id_token_hint=token["id_token"],
                                      post_logout_redirect_uri=client.post_logout_redirect_uri, state="bye")
        assert logout.status_code == 303
        assert logout.headers["location"] == client.post_logout_redirect_uri + "?state=bye"

        received = await receiver.received(1, timeout=10.0)
        assert len(received) == 1, "no logout token reached the back-channel endpoint"
        logout_claims = verify(received[0], jwks, issuer=portal.issuer, audience=client.client_id,
                               typ="logout+jwt")
        assert logout_claims["sub"] == account.subject and logout_claims["sid"] == id_claims["sid"]
        assert logout_claims["events"] == {EVENT: {}} and "nonce" not in logout_claims and logout_claims["jti"]

        # The session is over: a silent authorization now needs a login.
        after = await browser.go(silent_authorize_url(portal.url, client))
        assert redirect_params(after)["error"] == "login_required"
        await rp.aclose()


async def test_two_instances_share_codes_sessions_and_logout(databases, receiver, tmp_path):
    """Two replicas with one issuer, started together on a new database: each migrates and
    bootstraps at start-up, and then either one continues what the other began."""
    database_url = await databases.fresh()
    await downgrade_to_base(database_url)
    async with live_portals(database_url, tmp_path, count=2) as (a, b), PortalClient(a.url) as browser:
        issuer = a.issuer
        async with admin_session(database_url) as db:  # one set of keys between them, not two
            assert sorted((await db.scalars(select(SigningKey.alg))).all()) == ["ES256", "RS256"]
        client, account = await register(database_url, receiver)
        meta_a = await get_json(f"{a.url}/.well-known/openid-configuration")
        meta_b = await get_json(f"{b.url}/.well-known/openid-configuration")
        assert meta_a["issuer"] == meta_b["issuer"] == issuer
        jwks_a, jwks_b = await get_json(f"{a.url}/jwks"), await get_json(f"{b.url}/jwks")
        assert {k["kid"] for k in jwks_a["keys"]} == {k["kid"] for k in jwks_b["keys"]}

        # The browser logs in on A; the RP redeems the code at B.
        rp = relying_party(client)
        verifier = secrets.token_urlsafe(48)
        url, _ = rp.create_authorization_url(f"{a.url}/authorize", code_verifier=verifier, nonce="n-two")
        callback = await browser.authorize(url, username="zhangsan")
        token = await rp.fetch_token(f"{b.url}/token", authorization_response=callback,
                                     code_verifier=verifier)
        claims = verify(token["id_token"], jwks_b, issuer=issuer, audience=client.client_id)
        assert claims["sub"] == account.subject
        info = await rp.get(f"{a.url}/userinfo")  # a token from B is honoured by A
        assert info.status_code == 200 and info.json()["sub"] == account.subject
        await rp.aclose()

        # The session cookie A set is recognised by B: a silent authorization there returns a code.
        cookie_name = session_cookie_name(Settings(issuer=issuer))
        session_cookie = browser.http.cookies.get(cookie_name)
        assert session_cookie
        async with httpx.AsyncClient(timeout=10.0, cookies={cookie_name: session_cookie}) as on_b:
            silent = await on_b.get(silent_authorize_url(b.url, client))
        assert "code" in redirect_params(silent), redirect_params(silent)
        async with httpx.AsyncClient(timeout=10.0) as stranger:  # the control: no cookie, no code
            anonymous = await stranger.get(silent_authorize_url(b.url, client))
        assert redirect_params(anonymous)["error"] == "login_required"
        async with httpx.AsyncClient(timeout=10.0) as http:
            code_b = await http.post(f"{a.url}/token", auth=(client.client_id, client.client_secret), data={
                "grant_type": "authorization_code", "code": redirect_params(silent)["code"],
                "redirect_uri": client.redirect_uri, "code_verifier": SILENT_VERIFIER})
        assert code_b.status_code == 200, code_b.text
        assert verify(code_b.json()["id_token"], jwks_a, issuer=issuer, audience=client.client_id)["sid"] \
            == claims["sid"]

        # Logging out on B ends the session on A too, and the two instances' back-channel
        # workers deliver the logout token once between them.
        async with httpx.AsyncClient(timeout=10.0, cookies={cookie_name: session_cookie}) as on_b:
            logout = await on_b.get(f"{b.url}/logout?" + urlencode({"id_token_hint": token["id_token"]}))
        assert logout.status_code == 200
        after = await browser.go(silent_authorize_url(a.url, client))
        assert redirect_params(after)["error"] == "login_required"
        assert len(await receiver.received(1, timeout=10.0)) == 1
        # Both workers poll every 2 s: after a further round of each, still one delivery.
        assert len(await receiver.received(2, timeout=2.5)) == 1


async def test_the_access_log_holds_no_id_token_hint_and_no_code(databases, receiver, tmp_path):
    """uvicorn's access log at level info, as `make run` and a default deployment write it: the
    authorization request, the callback's code and a GET logout's id_token_hint stay out."""
    database_url = await databases.fresh()
    client, _ = await register(database_url, receiver)
    async with live_portals(database_url, tmp_path, log_level="info") as (portal,), \
            PortalClient(portal.url) as browser:
        rp = relying_party(client)
        verifier = secrets.token_urlsafe(48)
        url, _ = rp.create_authorization_url(f"{portal.url}/authorize", code_verifier=verifier,
                                             nonce=secrets.token_urlsafe(12))
        callback = await browser.authorize(url, username="zhangsan")
        token = await rp.fetch_token(f"{portal.url}/token", authorization_response=callback, code_verifier=verifier)
        await rp.aclose()
        logout = await browser.go(f"{portal.url}/logout?" + urlencode({
            "id_token_hint": token["id_token"], "post_logout_redirect_uri": client.post_logout_redirect_uri}))
        assert logout.status_code == 303
    log = portal.log_tail(lines=10_000)
    assert '"GET /logout?[query removed] HTTP/1.1" 303' in log  # the access log was written
    assert '"GET /authorize?[query removed] HTTP/1.1"' in log
    assert token["id_token"] not in log and query_of(callback)["code"] not in log
    assert "id_token_hint=" not in log and "code_challenge=" not in log
