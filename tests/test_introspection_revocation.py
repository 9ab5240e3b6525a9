"""Token introspection (RFC 7662) and revocation (RFC 7009): only authenticated clients, each
about its own tokens; revoking a refresh token revokes its grant, an access token only itself."""
import time

from idp import clock
from idp.accounts.models import Account
from tests.support.portal import ISSUER
from tests.support.tokens import client_credentials, code_flow, introspect, post_as, refresh, shift_clock, userinfo

INACTIVE = {"active": False}


async def offline_tokens(put, browser, client=None) -> dict:
    return await code_flow(put, browser, client or put.rp, "openid profile offline_access")


# --- introspection ---------------------------------------------------------------------------

async def test_introspection_requires_client_authentication(put, browser):
    tokens = await offline_tokens(put, browser)
    async with put.http() as http:
        anonymous = await http.post("/introspect", data={"token": tokens["access_token"]})
        id_only = await http.post("/introspect", data={"token": tokens["access_token"], "client_id": "rp"})
        wrong_secret = await http.post("/introspect", auth=("rp", "not-the-secret"),
                                       data={"token": tokens["access_token"]})
    for response in (anonymous, id_only, wrong_secret):
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "invalid_client"
        assert "active" not in response.json()


async def test_active_access_token(put, browser):
    tokens = await offline_tokens(put, browser)
    response = await post_as(put, put.rp, "/introspect", token=tokens["access_token"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    now = int(time.time())
    assert body["active"] is True
    assert body["client_id"] == "rp" and body["sub"] == put.account.subject and body["iss"] == ISSUER
    assert body["scope"].split() == tokens["scope"].split() == ["openid", "profile", "offline_access"]
    assert body["token_type"] == "Bearer"
    assert now - 60 <= body["iat"] <= now + 5
    assert body["exp"] == body["iat"] + put.settings.access_token_ttl_seconds


async def test_client_credentials_token_is_active_for_its_client(put):
    access_token = (await client_credentials(put, put.rp, "profile"))["access_token"]
    body = await introspect(put, put.rp, access_token)
    assert body["active"] is True and body["client_id"] == "rp" and body["scope"] == "profile"


async def test_refresh_token_with_either_hint(put, browser):
    tokens = await offline_tokens(put, browser)
    for hint in (None, "refresh_token", "access_token"):
        form = {"token_type_hint": hint} if hint else {}
        body = await introspect(put, put.rp, tokens["refresh_token"], **form)
        assert body["active"] is True, hint
        assert body["client_id"] == "rp" and body["iss"] == ISSUER
        assert body["scope"].split() == ["openid", "profile", "offline_access"]
        assert body["exp"] > int(time.time()) + 3600
        at = await introspect(put, put.rp, tokens["access_token"], **form)
        assert at["active"] is True and at["token_type"] == "Bearer", hint


async def test_unknown_tokens_are_inactive(put):
    response = await post_as(put, put.rp, "/introspect", token="no-such-token")
    assert response.status_code == 200 and response.json() == INACTIVE
    assert response.headers["cache-control"] == "no-store"
    assert await introspect(put, put.rp, "a.b.c") == INACTIVE
    assert await introspect(put, put.rp, "no-such-token", token_type_hint="refresh_token") == INACTIVE


async def test_expired_tokens_are_inactive(put, browser, monkeypatch):
    tokens = await offline_tokens(put, browser)
    shift_clock(monkeypatch, put.settings.access_token_ttl_seconds + 1)
    assert await introspect(put, put.rp, tokens["access_token"]) == INACTIVE
    assert (await introspect(put, put.rp, tokens["refresh_token"]))["active"] is True
    shift_clock(monkeypatch, put.settings.refresh_token_ttl_seconds + 1)
    assert await introspect(put, put.rp, tokens["refresh_token"]) == INACTIVE


async def test_another_clients_tokens_are_inactive(put, browser):
    other = await put.add_client("other")
    tokens = await offline_tokens(put, browser)
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert await introspect(put, other, token) == INACTIVE
        assert (await introspect(put, put.rp, token))["active"] is True


async def test_disabled_accounts_tokens_are_inactive(put, browser):
    """Active means the portal would honour it: the token endpoint refuses a disabled account."""
    tokens = await offline_tokens(put, browser)
    assert (await introspect(put, put.rp, tokens["refresh_token"]))["sub"] == put.account.subject
    async with put.portal.sessionmaker.begin() as db:
        (await db.get(Account, put.account.id)).disabled_at = clock.now()
    assert await introspect(put, put.rp, tokens["access_token"]) == INACTIVE
    assert await introspect(put, put.rp, tokens["refresh_token"]) == INACTIVE
    assert (await refresh(put, put.rp, tokens["refresh_token"])).status_code == 400


async def test_used_refresh_token_is_inactive_and_its_successor_active(put, browser):
    tokens = await offline_tokens(put, browser)
    rotated = await refresh(put, put.rp, tokens["refresh_token"])
    assert rotated.status_code == 200
    assert await introspect(put, put.rp, tokens["refresh_token"]) == INACTIVE
    assert (await introspect(put, put.rp, rotated.json()["refresh_token"]))["active"] is True


# --- revocation ------------------------------------------------------------------------------

async def test_revocation_requires_client_authentication(put, browser):
    tokens = await offline_tokens(put, browser)
    async with put.http() as http:
        anonymous = await http.post("/revoke", data={"token": tokens["refresh_token"], "client_id": "rp"})
        wrong_secret = await http.post("/revoke", auth=("rp", "not-the-secret"),
                                       data={"token": tokens["access_token"]})
    for response in (anonymous, wrong_secret):
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "invalid_client"
    assert (await introspect(put, put.rp, tokens["access_token"]))["active"] is True
    assert (await refresh(put, put.rp, tokens["refresh_token"])).status_code == 200


async def test_revoking_the_refresh_token_revokes_the_grant(put, browser):
    """RFC 7009 §2.1: the access tokens of the same grant go too."""
    tokens = await offline_tokens(put, browser)
    response = await post_as(put, put.rp, "/revoke", token=tokens["refresh_token"], token_type_hint="refresh_token")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert await introspect(put, put.rp, tokens["access_token"]) == INACTIVE
    assert await introspect(put, put.rp, tokens["refresh_token"]) == INACTIVE
    assert (await userinfo(put, tokens["access_token"])).status_code == 401
    failed = await refresh(put, put.rp, tokens["refresh_token"])
    assert failed.status_code == 400 and failed.json()["error"] == "invalid_grant"


async def test_revoking_a_rotated_refresh_token_revokes_its_successors(put, browser):
    tokens = await offline_tokens(put, browser)
    successor = (await refresh(put, put.rp, tokens["refresh_token"])).json()
    assert (await post_as(put, put.rp, "/revoke", token=tokens["refresh_token"])).status_code == 200
    assert await introspect(put, put.rp, successor["access_token"]) == INACTIVE
    assert (await refresh(put, put.rp, successor["refresh_token"])).status_code == 400


async def test_revoking_an_access_token_keeps_the_refresh_token(put, browser):
    tokens = await offline_tokens(put, browser)
    for hint in ({"token_type_hint": "refresh_token"}, {}):  # a wrong hint must not matter (§2.1)
        response = await post_as(put, put.rp, "/revoke", token=tokens["access_token"], **hint)
        assert response.status_code == 200
    assert await introspect(put, put.rp, tokens["access_token"]) == INACTIVE
    assert (await userinfo(put, tokens["access_token"])).status_code == 401
    refreshed = await refresh(put, put.rp, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert (await introspect(put, put.rp, refreshed.json()["access_token"]))["active"] is True
    assert (await userinfo(put, refreshed.json()["access_token"])).status_code == 200


async def test_revoking_a_client_credentials_token(put):
    access_token = (await client_credentials(put, put.rp, "profile"))["access_token"]
    assert (await post_as(put, put.rp, "/revoke", token=access_token)).status_code == 200
    assert await introspect(put, put.rp, access_token) == INACTIVE


async def test_unknown_token_is_answered_200(put):
    for token in ("no-such-token", "a.b.c", "eyJhbGciOiJub25lIn0.e30."):
        response = await post_as(put, put.rp, "/revoke", token=token)
        assert response.status_code == 200, (token, response.text)


async def test_missing_token_is_invalid_request(put):
    response = await post_as(put, put.rp, "/revoke")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_another_clients_token_is_answered_200_and_not_revoked(put, browser):
    other = await put.add_client("other")
    tokens = await offline_tokens(put, browser)
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert (await post_as(put, other, "/revoke", token=token)).status_code == 200
    assert (await introspect(put, put.rp, tokens["access_token"]))["active"] is True
    assert (await userinfo(put, tokens["access_token"])).status_code == 200
    assert (await refresh(put, put.rp, tokens["refresh_token"])).status_code == 200
