"""Provider metadata (OIDC Discovery §3, RFC 8414), the JWKS (RFC 7517) and signing-key rotation
(OIDC Core §10.1.1): every advertised field is true, and a rotation never breaks a relying party."""
import asyncio
import datetime as dt
import json
import secrets
import time
from urllib.parse import urlencode

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata
from cryptography.fernet import InvalidToken as UndecryptableKey
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.cli import main as idp_cli
from idp.keys.models import SigningKey
from idp.keys.store import KeyRing, rotate_keys
from tests.support.portal import ISSUER, Browser, callback_params, running_portal, test_settings as settings_for
from tests.support.tokens import (
    client_credentials,
    code_flow,
    introspect,
    pkce_pair,
    set_clock,
    unverified_header,
    userinfo,
    verified_claims,
)

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}


async def get_json(put, path: str) -> dict:
    async with put.http() as http:
        response = await http.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"
    return response.json()


async def published_kids(put) -> set[str]:
    return {key["kid"] for key in (await get_json(put, "/jwks"))["keys"]}


# --- discovery -------------------------------------------------------------------------------

async def test_metadata_validates_and_names_the_issuer_exactly(put):
    metadata = await get_json(put, "/.well-known/openid-configuration")
    OpenIDProviderMetadata(metadata).validate()
    assert metadata["issuer"] == put.settings.issuer == ISSUER
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["response_types_supported"] == ["code"]
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]
    assert "openid" in metadata["scopes_supported"]
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True
    assert metadata["authorization_response_iss_parameter_supported"] is True
    for name, value in metadata.items():  # an advertised list that says nothing is not advertising
        assert not (isinstance(value, list) and not value), name


async def test_oauth_authorization_server_metadata_agrees_with_the_openid_document(put):
    """RFC 8414 §3: OAuth clients find the same issuer, endpoints and capabilities there."""
    oauth = await get_json(put, "/.well-known/oauth-authorization-server")
    AuthorizationServerMetadata(oauth).validate()
    openid = await get_json(put, "/.well-known/openid-configuration")
    assert oauth["issuer"] == ISSUER
    shared = set(oauth) & set(openid)
    assert shared >= set(AuthorizationServerMetadata.REGISTRY_KEYS) & set(openid)
    assert {name: oauth[name] for name in shared} == {name: openid[name] for name in shared}
    async with put.http() as http:
        response = await http.get("/.well-known/oauth-authorization-server")
    assert response.headers["access-control-allow-origin"] == "*"


async def test_every_advertised_endpoint_answers(put):
    metadata = await get_json(put, "/.well-known/openid-configuration")
    path = {name: metadata[name].removeprefix(ISSUER) for name in metadata
            if name.endswith("_endpoint") or name == "jwks_uri"}
    assert all(metadata[name].startswith(ISSUER + "/") for name in path)
    async with put.http() as http:
        assert (await http.get(path["jwks_uri"])).status_code == 200
        assert 'action="/login"' not in (await http.get(path["authorization_endpoint"])).text  # no client: page
        assert (await http.get(path["authorization_endpoint"])).status_code == 400
        assert (await http.get(path["userinfo_endpoint"])).status_code == 401
        assert (await http.get(path["end_session_endpoint"])).status_code in (200, 400)
        for name in ("token_endpoint", "introspection_endpoint", "revocation_endpoint",
                     "pushed_authorization_request_endpoint"):
            response = await http.post(path[name], data={"token": "x", "grant_type": "client_credentials"})
            assert response.status_code == 401 and response.json()["error"] == "invalid_client", name
    assert set(path) == {"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                         "end_session_endpoint", "revocation_endpoint", "introspection_endpoint",
                         "pushed_authorization_request_endpoint"}


def client_assertion(client_id: str, audience: str, key, alg: str) -> dict:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + 60,
              "jti": secrets.token_urlsafe(16)}
    return {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])}


async def test_every_advertised_client_authentication_method_works(put):
    metadata = await get_json(put, "/.well-known/openid-configuration")
    methods = {"client_secret_basic", "client_secret_post", "private_key_jwt"}
    assert set(metadata["token_endpoint_auth_methods_supported"]) == methods | {"none"}
    assert set(metadata["revocation_endpoint_auth_methods_supported"]) == methods | {"none"}
    assert set(metadata["introspection_endpoint_auth_methods_supported"]) == methods
    post = await put.add_client("post", token_endpoint_auth_method="client_secret_post")
    rsa, ec = RSAKey.generate_key(2048, private=True, auto_kid=True), ECKey.generate_key("P-256", private=True,
                                                                                      auto_kid=True)
    jwks = {"keys": [rsa.as_dict(private=False), ec.as_dict(private=False)]}
    await put.add_client("pkjwt", token_endpoint_auth_method="private_key_jwt", jwks=jwks)
    credentials = {
        "client_secret_basic": lambda url: ({"auth": (put.rp.client_id, put.rp.client_secret)}, {}),
        "client_secret_post": lambda url: ({}, {"client_id": "post", "client_secret": post.client_secret}),
        **{f"private_key_jwt {alg}": (lambda url, k=key, a=alg: ({}, client_assertion("pkjwt", url, k, a)))
           for alg, key in (("RS256", rsa), ("PS256", rsa), ("ES256", ec))},
    }
    assert {"RS256", "PS256", "ES256"} == set(metadata["token_endpoint_auth_signing_alg_values_supported"])
    async with put.http() as http:
        for method, make in credentials.items():
            kwargs, form = make(metadata["token_endpoint"])
            issued = await http.post("/token", data={"grant_type": "client_credentials", "scope": "profile",
                                                     **form}, **kwargs)
            assert issued.status_code == 200, (method, issued.text)
            token = issued.json()["access_token"]
            kwargs, form = make(metadata["introspection_endpoint"])
            body = (await http.post("/introspect", data={"token": token, **form}, **kwargs)).json()
            assert body["active"] is True, method
            kwargs, form = make(metadata["revocation_endpoint"])
            assert (await http.post("/revoke", data={"token": token, **form}, **kwargs)).status_code == 200
            assert await introspect(put, put.rp, token) == {"active": False}


async def test_public_client_authenticates_with_none_where_advertised(put, browser):
    """A public client redeems its code and revokes its refresh token with its client_id
    alone (RFC 7009 §2.1), but may not introspect: introspection does not list none."""
    public = await put.add_client("spa", token_endpoint_auth_method="none",
                                  grant_types=["authorization_code", "refresh_token"])
    verifier, challenge = pkce_pair()
    redirect = await browser.authorize(dict(
        response_type="code", client_id="spa", redirect_uri=public.redirect_uri, scope="openid offline_access",
        state="s", code_challenge=challenge, code_challenge_method="S256"))
    async with put.http() as http:
        tokens = (await http.post("/token", data=dict(
            grant_type="authorization_code", code=callback_params(redirect)["code"], client_id="spa",
            redirect_uri=public.redirect_uri, code_verifier=verifier))).json()
        introspection = await http.post("/introspect", data={"token": tokens["access_token"], "client_id": "spa"})
        assert introspection.status_code == 401 and "active" not in introspection.json()
        revoked = await http.post("/revoke", data={"token": tokens["refresh_token"], "client_id": "spa"})
        assert revoked.status_code == 200
        again = await http.post("/token", data=dict(grant_type="refresh_token", client_id="spa",
                                                    refresh_token=tokens["refresh_token"]))
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert (await userinfo(put, tokens["access_token"])).status_code == 401  # the whole grant went


async def test_advertised_limits_are_enforced(put, browser):
    """What discovery leaves out (plain PKCE, other response types and modes, request objects)
    is refused at the authorization endpoint with the error the RP can act on."""
    base = dict(client_id="rp", redirect_uri=put.rp.redirect_uri, scope="openid", state="s", response_type="code")
    cases = [({"code_challenge": "x" * 43, "code_challenge_method": "plain"}, "invalid_request"),
             ({"response_type": "token"}, "unsupported_response_type"),
             ({"response_mode": "fragment"}, "invalid_request"),
             ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported")]
    for extra, error in cases:
        params = callback_params(await browser.go("/authorize?" + urlencode({**base, **extra})))
        assert params["error"] == error and params["iss"] == ISSUER and "code" not in params, extra


async def test_claims_supported_covers_every_claim_returned(put, browser):
    supported = set((await get_json(put, "/.well-known/openid-configuration"))["claims_supported"])
    await put.add_account("corp", account_type="legal_person", enterprise_name="示例医疗器械有限公司",
                          credit_code="91350100M000100Y43")
    all_scopes = "openid profile email phone identity enterprise id_number offline_access"
    corp_browser = Browser(put)
    try:
        returned = [await code_flow(put, browser, put.rp, all_scopes),
                    await code_flow(put, corp_browser, put.rp, all_scopes, username="corp")]
    finally:
        await corp_browser.aclose()
    for tokens in returned:
        info = (await userinfo(put, tokens["access_token"])).json()
        assert "enterprise" in info or "id_number" in info
        assert set(info) <= supported, set(info) - supported
        assert set(await verified_claims(put, tokens["id_token"])) <= supported


# --- JWKS ------------------------------------------------------------------------------------

async def test_jwks_publishes_public_signing_keys_only(put):
    keys = (await get_json(put, "/jwks"))["keys"]
    kids = [key.get("kid") for key in keys]
    assert all(kids) and len(set(kids)) == len(kids)
    for key in keys:
        assert key["use"] == "sig" and key["alg"] in ("RS256", "ES256")
        assert not PRIVATE_MEMBERS & set(key), key["kid"]
        assert key["kty"] in ("RSA", "EC")
    by_alg = {key["alg"]: key for key in keys}
    assert by_alg["RS256"]["kty"] == "RSA"
    assert by_alg["ES256"]["kty"] == "EC" and by_alg["ES256"]["crv"] == "P-256"


async def test_private_keys_are_stored_encrypted(put):
    async with put.portal.sessionmaker() as db:
        rows = (await db.scalars(select(SigningKey))).all()
    assert {row.alg for row in rows} == {"RS256", "ES256"}
    for row in rows:
        stored = row.private_jwk_encrypted
        public_value = row.public_jwk.get("n") or row.public_jwk["x"]
        assert '"d"' not in stored and public_value not in stored
        with pytest.raises(ValueError):
            json.loads(stored)
    stranger = KeyRing(settings_for(put.settings.database_url, key_encryption_key="x" * 40))
    with pytest.raises(UndecryptableKey):
        await stranger.refresh_if_stale(put.portal.reader)


# --- rotation --------------------------------------------------------------------------------

async def signing_kid(put) -> str:
    return unverified_header((await client_credentials(put, put.rp))["access_token"])["kid"]


async def test_rotation_publishes_first_signs_after_the_lead_and_unpublishes_late(database_url, monkeypatch):
    lead, ttl = 3600, 1800
    async with running_portal(database_url, key_publish_lead_seconds=lead, access_token_ttl_seconds=ttl,
                              id_token_ttl_seconds=ttl) as put:
        put.rp = await put.add_client("rp")
        before = await published_kids(put)
        old_kid = await signing_kid(put)
        async with put.portal.sessionmaker.begin() as db:
            new_kids = {row.kid for row in await rotate_keys(db, put.settings)}
        assert len(new_kids) == 2 and await published_kids(put) == before | new_kids
        assert await signing_kid(put) == old_kid  # relying parties may still hold the old JWKS

        async with put.portal.sessionmaker() as db:
            old = await db.get(SigningKey, old_kid)
        set_clock(monkeypatch, old.signs_until - dt.timedelta(seconds=1))
        last_old = (await client_credentials(put, put.rp))["access_token"]
        assert unverified_header(last_old)["kid"] == old_kid

        set_clock(monkeypatch, old.signs_until)
        fresh = (await client_credentials(put, put.rp))["access_token"]
        assert unverified_header(fresh)["kid"] in new_kids
        assert (await verified_claims(put, fresh))["iss"] == ISSUER
        assert (await introspect(put, put.rp, fresh))["active"] is True

        last_exp = (await verified_claims(put, last_old))["exp"]
        set_clock(monkeypatch, dt.datetime.fromtimestamp(last_exp - 1, dt.UTC))
        assert old_kid in await published_kids(put)  # everything it signed is still verifiable
        assert (await introspect(put, put.rp, last_old))["active"] is True
        assert old.unpublish_at >= dt.datetime.fromtimestamp(last_exp, dt.UTC)

        set_clock(monkeypatch, old.unpublish_at + dt.timedelta(seconds=1))
        remaining = await published_kids(put)
        assert old_kid not in remaining and new_kids <= remaining
        assert unverified_header((await client_credentials(put, put.rp))["access_token"])["kid"] in new_kids


async def test_rotation_without_lead_switches_at_once_for_both_algorithms(put, browser):
    # The default client: RS256 ID tokens, ES256 access tokens (IDP_ACCESS_TOKEN_SIGNING_ALG), one of each key.
    first = await code_flow(put, browser, put.rp, "openid profile")
    old_kids = {unverified_header(first["id_token"])["kid"], unverified_header(first["access_token"])["kid"]}
    async with put.portal.sessionmaker.begin() as db:
        new_kids = {row.kid for row in await rotate_keys(db, put.settings)}
    second = await code_flow(put, browser, put.rp, "openid profile")
    assert unverified_header(second["id_token"])["alg"] == "RS256"
    assert unverified_header(second["access_token"])["alg"] == "ES256"
    assert {unverified_header(second["id_token"])["kid"], unverified_header(second["access_token"])["kid"]} == new_kids
    assert old_kids <= await published_kids(put)
    assert (await verified_claims(put, first["id_token"]))["sub"] == put.account.subject
    assert (await userinfo(put, first["access_token"])).status_code == 200
    assert (await userinfo(put, second["access_token"])).status_code == 200


async def test_rotation_lead_is_never_shorter_than_the_key_cache(database_url):
    """An instance holding a cached ring must learn of the new key before it has to sign with it."""
    async with running_portal(database_url, key_publish_lead_seconds=0, key_cache_seconds=120) as put:
        async with put.portal.sessionmaker.begin() as db:
            rows = await rotate_keys(db, put.settings)
        assert all(row.signs_from - row.created_at > dt.timedelta(seconds=119) for row in rows)


async def test_cli_rotation_is_audited(put, database_url, monkeypatch, capsys):
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)
    monkeypatch.setenv("IDP_KEY_PUBLISH_LEAD_SECONDS", "3600")
    before, old_kid = await published_kids(put), await signing_kid(put)
    assert await asyncio.to_thread(idp_cli, ["keys", "rotate"]) == 0
    new_kids, printed = await published_kids(put) - before, capsys.readouterr().out
    assert len(new_kids) == 2 and all(kid in printed for kid in new_kids)
    assert await signing_kid(put) == old_kid
    async with put.portal.sessionmaker() as db:
        events = (await db.scalars(select(AuditEvent).where(AuditEvent.event == "keys.rotated"))).all()
        rows = [await db.get(SigningKey, kid) for kid in new_kids]
    assert len(events) == 1 and events[0].actor == "cli" and set(events[0].details["kids"]) == new_kids
    assert all(row.signs_from - row.created_at >= dt.timedelta(seconds=3599) for row in rows)


async def test_metadata_and_keys_are_public_and_cacheable_while_token_answers_are_never_stored(put):
    """One JSON helper answers both: public metadata may be cached (and read cross-origin),
    a token endpoint answer never (RFC 6749 §5.1)."""
    async with put.http() as http:
        metadata, keys = await http.get("/.well-known/openid-configuration"), await http.get("/jwks")
        refused = await http.post("/token", data={"grant_type": "authorization_code"})
    assert metadata.headers["cache-control"] == "public, max-age=300" and "pragma" not in metadata.headers
    assert keys.headers["cache-control"] == "public, max-age=60" and "pragma" not in keys.headers
    assert metadata.headers["access-control-allow-origin"] == keys.headers["access-control-allow-origin"] == "*"
    assert refused.status_code in (400, 401)
    assert (refused.headers["cache-control"], refused.headers["pragma"]) == ("no-store", "no-cache")
