"""The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §5, §6; RFC 7636 §4.6; RFC 9700 §2.1.1,
§4.14.2): single-use codes whose replay revokes what they issued, PKCE and its downgrade
defence, rotated refresh tokens whose replay revokes the family, client_credentials."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from idp import clock
from idp.accounts.models import Account
from idp.oidc.models import AuthorizationCode, Grant
from idp.security.tokens import digest
from tests.support.portal import RP
from tests.support.token_flows import (
    assert_oauth_error,
    audit_events,
    get_code,
    introspect,
    redeem,
    refresh,
    token_call,
    tokens_for,
    userinfo_status,
)

OFFLINE = "openid profile offline_access"


async def assert_revoked(put, client, tokens: dict) -> None:
    """Every token of one grant is dead: userinfo, introspection and refresh all refuse it."""
    assert await userinfo_status(put, tokens["access_token"]) == 401
    assert await introspect(put, client, tokens["access_token"]) == {"active": False}
    assert_oauth_error(await refresh(put, client, tokens["refresh_token"]), "invalid_grant")


async def assert_alive(put, client, tokens: dict) -> None:
    assert await userinfo_status(put, tokens["access_token"]) == 200
    assert (await introspect(put, client, tokens["access_token"]))["active"] is True
    assert (await introspect(put, client, tokens["refresh_token"]))["active"] is True


# --- every response -----------------------------------------------------------------------

async def test_successful_token_response_is_not_cacheable(put, browser):
    code, verifier = await get_code(browser, put.rp)
    response = await redeem(put, put.rp, code, verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["token_type"] == "Bearer" and isinstance(body["expires_in"], int)


async def test_unsupported_grant_type(put):
    response = await token_call(put, {"grant_type": "password", "username": "zhangsan", "password": "x"},
                                client=put.rp)
    assert_oauth_error(response, "unsupported_grant_type")


async def test_missing_grant_type_is_invalid_request(put):
    assert_oauth_error(await token_call(put, {"scope": "profile"}, client=put.rp), "invalid_request")


async def test_repeated_parameter_is_invalid_request(put):
    response = await token_call(put, [("grant_type", "client_credentials"), ("scope", "profile"),
                                      ("scope", "email")], client=put.rp)
    assert_oauth_error(response, "invalid_request")


async def test_grant_type_the_client_did_not_register_is_unauthorized_client(put):
    client = await put.add_client("codeonly", grant_types=["authorization_code"])
    response = await token_call(put, {"grant_type": "client_credentials"}, client=client)
    assert_oauth_error(response, "unauthorized_client")


# --- authorization_code -------------------------------------------------------------------

async def test_code_reuse_is_refused_and_revokes_the_first_tokens(put, browser):
    code, verifier = await get_code(browser, put.rp, scope=OFFLINE)
    first = await redeem(put, put.rp, code, verifier)
    assert first.status_code == 200, first.text
    tokens = first.json()
    await assert_alive(put, put.rp, tokens)
    assert_oauth_error(await redeem(put, put.rp, code, verifier), "invalid_grant")
    await assert_revoked(put, put.rp, tokens)
    assert len(await audit_events(put, "authorization.code_reused")) == 1


async def test_code_replay_with_invalid_parameters_revokes_nothing(put, browser):
    """Whoever holds only the used code (no verifier) cannot end the user's tokens (O21 DoS guard)."""
    code, verifier = await get_code(browser, put.rp, scope=OFFLINE)
    tokens = (await redeem(put, put.rp, code, verifier)).json()
    assert_oauth_error(await redeem(put, put.rp, code, "x" * 43), "invalid_grant")
    assert_oauth_error(await redeem(put, put.rp, code, None), "invalid_grant")
    assert_oauth_error(await redeem(put, put.rp, code, verifier, redirect_uri=f"{RP}/rp/other"), "invalid_grant")
    await assert_alive(put, put.rp, tokens)
    assert await audit_events(put, "authorization.code_reused") == []


async def test_code_presented_by_another_client_is_invalid_grant_and_revokes_nothing(put, browser):
    client2 = await put.add_client("client2")
    code, verifier = await get_code(browser, put.rp, scope=OFFLINE)
    # Before the rightful redemption: refused, and the code is not burnt by the attempt.
    assert_oauth_error(await redeem(put, client2, code, verifier, redirect_uri=put.rp.redirect_uri),
                       "invalid_grant")
    response = await redeem(put, put.rp, code, verifier)
    assert response.status_code == 200, response.text
    tokens = response.json()
    # After it: still refused, and the rightful client's tokens live on.
    assert_oauth_error(await redeem(put, client2, code, verifier, redirect_uri=put.rp.redirect_uri),
                       "invalid_grant")
    await assert_alive(put, put.rp, tokens)


async def test_expired_code_is_invalid_grant(put, browser):
    code, verifier = await get_code(browser, put.rp)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(AuthorizationCode).where(AuthorizationCode.code_digest == digest(code))
                         .values(expires_at=clock.now() - dt.timedelta(seconds=1)))
    assert_oauth_error(await redeem(put, put.rp, code, verifier), "invalid_grant")


async def test_code_lives_as_long_as_the_setting_says(put, browser):
    before = clock.now()
    code, _ = await get_code(browser, put.rp)
    after = clock.now()
    async with put.portal.sessionmaker() as db:
        row = await db.scalar(select(AuthorizationCode).where(AuthorizationCode.code_digest == digest(code)))
    ttl = dt.timedelta(seconds=put.settings.authorization_code_ttl_seconds)
    # Issued somewhere between before and after (a login under load may take seconds).
    assert ttl <= dt.timedelta(seconds=600) and before + ttl <= row.expires_at <= after + ttl  # RFC 9700: short-lived


async def test_redirect_uri_mismatch_is_invalid_grant(put, browser):
    code, verifier = await get_code(browser, put.rp)
    response = await redeem(put, put.rp, code, verifier, redirect_uri=f"{RP}/rp/other")
    assert_oauth_error(response, "invalid_grant")


async def test_wrong_code_verifier_is_invalid_grant_and_uses_the_code_up_without_a_grant(put, browser):
    code, verifier = await get_code(browser, put.rp)
    assert_oauth_error(await redeem(put, put.rp, code, verifier[::-1]), "invalid_grant")
    async with put.portal.reader() as db:
        row = await db.scalar(select(AuthorizationCode).where(AuthorizationCode.code_digest == digest(code)))
        assert row.consumed_at is not None
        assert await db.get(Grant, row.grant_id) is None  # nothing was issued under it
    assert_oauth_error(await redeem(put, put.rp, code, verifier), "invalid_grant")


async def test_missing_code_verifier_after_a_challenge_is_invalid_request(put, browser):
    code, _ = await get_code(browser, put.rp)
    assert_oauth_error(await redeem(put, put.rp, code, None), "invalid_request")


async def test_code_verifier_for_a_code_issued_without_challenge_is_invalid_request(put, browser):
    """The PKCE downgrade defence (RFC 9700 §4.8.2)."""
    client = await put.add_client("legacy", require_pkce=False)
    code, _ = await get_code(browser, client, pkce=False, nonce="n-legacy")
    response = await redeem(put, client, code, "a" * 43)
    assert_oauth_error(response, "invalid_request")


async def test_code_without_pkce_is_redeemed_for_a_client_that_may_skip_it(put, browser):
    client = await put.add_client("legacy", require_pkce=False)
    code, _ = await get_code(browser, client, pkce=False, nonce="n-legacy")
    response = await redeem(put, client, code, None)
    assert response.status_code == 200, response.text


# --- refresh_token ------------------------------------------------------------------------

async def test_refresh_token_only_with_offline_access(put, browser):
    assert "refresh_token" not in await tokens_for(put, browser, put.rp, scope="openid profile")
    assert (await tokens_for(put, browser, put.rp, scope=OFFLINE))["refresh_token"]


async def test_refresh_rotates_the_refresh_token(put, browser):
    tokens = await tokens_for(put, browser, put.rp, scope=OFFLINE)
    response = await refresh(put, put.rp, tokens["refresh_token"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    rotated = response.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["access_token"] != tokens["access_token"]
    assert await userinfo_status(put, rotated["access_token"]) == 200
    assert (await refresh(put, put.rp, rotated["refresh_token"])).status_code == 200


async def test_replayed_refresh_token_revokes_the_whole_family(put, browser):
    tokens = await tokens_for(put, browser, put.rp, scope=OFFLINE)
    rotated = (await refresh(put, put.rp, tokens["refresh_token"])).json()
    assert_oauth_error(await refresh(put, put.rp, tokens["refresh_token"]), "invalid_grant")
    # The newest refresh token and every access token of the family are dead too.
    assert_oauth_error(await refresh(put, put.rp, rotated["refresh_token"]), "invalid_grant")
    for access_token in (tokens["access_token"], rotated["access_token"]):
        assert await introspect(put, put.rp, access_token) == {"active": False}
        assert await userinfo_status(put, access_token) == 401
    assert len(await audit_events(put, "token.refresh_reused")) == 1


async def test_refresh_token_of_another_client_is_invalid_grant_and_revokes_nothing(put, browser):
    client2 = await put.add_client("client2")
    tokens = await tokens_for(put, browser, put.rp, scope=OFFLINE)
    assert_oauth_error(await refresh(put, client2, tokens["refresh_token"]), "invalid_grant")
    await assert_alive(put, put.rp, tokens)
    assert (await refresh(put, put.rp, tokens["refresh_token"])).status_code == 200


async def test_refresh_for_a_disabled_account_is_invalid_grant(put, browser):
    tokens = await tokens_for(put, browser, put.rp, scope=OFFLINE)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id).values(disabled_at=clock.now()))
    assert_oauth_error(await refresh(put, put.rp, tokens["refresh_token"]), "invalid_grant")


async def test_refresh_may_narrow_the_scope(put, browser):
    tokens = await tokens_for(put, browser, put.rp, scope="openid profile email offline_access")
    response = await refresh(put, put.rp, tokens["refresh_token"], scope="openid email")
    assert response.status_code == 200, response.text
    narrowed = response.json()
    assert narrowed["scope"].split() == ["openid", "email"]
    assert (await introspect(put, put.rp, narrowed["access_token"]))["scope"].split() == ["openid", "email"]
    # The refresh token keeps the whole grant (RFC 6749 §6): the next refresh may ask for it all.
    again = await refresh(put, put.rp, narrowed["refresh_token"])
    assert set(again.json()["scope"].split()) == {"openid", "profile", "email", "offline_access"}


async def test_refresh_may_not_widen_the_scope(put, browser):
    tokens = await tokens_for(put, browser, put.rp, scope=OFFLINE)
    response = await refresh(put, put.rp, tokens["refresh_token"], scope="openid profile email offline_access")
    assert_oauth_error(response, "invalid_scope")


# --- client_credentials -------------------------------------------------------------------

async def test_client_credentials_issues_the_requested_scope(put):
    response = await token_call(put, {"grant_type": "client_credentials", "scope": "profile email"},
                                client=put.rp)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["scope"].split() == ["profile", "email"]
    assert "refresh_token" not in body and "id_token" not in body
    info = await introspect(put, put.rp, body["access_token"])
    assert info["active"] is True and info["sub"] == put.rp.client_id and info["client_id"] == put.rp.client_id
    assert info["scope"].split() == ["profile", "email"]
    issued = await audit_events(put, "token.issued")
    assert [(e.client_id, e.details["grant_type"]) for e in issued] == [("rp", "client_credentials")]


async def test_client_credentials_refuses_openid(put):
    response = await token_call(put, {"grant_type": "client_credentials", "scope": "openid"}, client=put.rp)
    assert_oauth_error(response, "invalid_scope")


async def test_client_credentials_refuses_a_scope_the_client_was_not_given(put):
    client = await put.add_client("narrow", scopes=["openid", "profile"])
    response = await token_call(put, {"grant_type": "client_credentials", "scope": "email"}, client=client)
    assert_oauth_error(response, "invalid_scope")
