"""The integration harness with the portal in-process (create_app, its lifespan, httpx's
ASGITransport): a team's client registered and a code redeemed, both login windows and a
refused login, and the development sink's messages read the way a team reads a code."""
from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from idp.testing.client import HarnessError, PortalClient
from idp.testing.portal_process import in_process
from idp.testing.setup import (
    PASSWORD,
    add_personal_account,
    register_client,
    seed_accounts,
)

SYSTEM = "https://team.example.test"


@pytest.fixture
async def portal(databases):
    async with in_process(await databases.fresh(), background_worker=False) as running:
        yield running


@pytest.fixture
async def user(portal):
    async with PortalClient(portal.url, transport=portal.transport()) as client:
        yield client


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


async def test_a_registered_client_gets_a_code_it_can_redeem(portal, user):
    accounts = await seed_accounts(portal.database_url)
    client = await register_client(portal.database_url, "team", redirect_uris=[f"{SYSTEM}/auth/callback"],
                                   scopes=["openid", "profile"])
    verifier, challenge = pkce()
    callback = await user.authorize("/authorize?" + urlencode({
        "response_type": "code", "client_id": "team", "redirect_uri": client.redirect_uri, "scope": "openid profile",
        "state": "s1", "code_challenge": challenge, "code_challenge_method": "S256"}),
        username="zhangsan", password=PASSWORD)
    assert callback.startswith(client.redirect_uri + "?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    assert params["state"] == "s1" and params["iss"] == portal.issuer
    async with portal.http() as http:
        token = await http.post("/token", auth=("team", client.client_secret), data={
            "grant_type": "authorization_code", "code": params["code"], "redirect_uri": client.redirect_uri,
            "code_verifier": verifier})
        assert token.status_code == 200, token.text
        info = await http.get("/userinfo", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert info.json()["sub"] == accounts.personal.subject
    async with portal.http() as http:  # the secret handed over is the only one that works
        wrong = await http.post("/token", auth=("team", "not-the-secret"), data={
            "grant_type": "authorization_code", "code": params["code"], "redirect_uri": client.redirect_uri,
            "code_verifier": verifier})
    assert wrong.status_code == 401


async def test_both_windows_and_a_refused_login(portal, user):
    accounts = await seed_accounts(portal.database_url)
    with pytest.raises(HarnessError, match="login refused"):
        await user.login("qiye", "Wrong@2026pass", window="legal")
    with pytest.raises(HarnessError, match="login refused"):
        await user.login("qiye", PASSWORD, window="personal")  # a legal person logs in at 法人登录
    space = await user.login(accounts.legal_person.username, PASSWORD, window=accounts.legal_person.window)
    assert space.url.path == "/space" and "示例医疗器械有限公司" in space.text
    rows = await user.bindings()
    assert rows and set(rows.values()) == {"bind"}  # the catalogue's systems, none bound yet


async def test_messages_of_the_development_sink(portal, user):
    await add_personal_account(portal.database_url, "wangwu", mobile="13600136000", id_number="31000019920229024X")
    assert await user.messages() == []
    page = await user.go("/recovery?way=code")
    sent = await user.submit(page, "/recovery/send", username="wangwu", channel="sms", destination="13600136000",
                             captcha="TEST")
    assert sent.status_code == 200
    [message] = await user.messages()
    assert message.channel == "短信" and message.recipient == "13600136000" and "找回密码" in message.body
