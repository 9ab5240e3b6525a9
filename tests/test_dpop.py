"""DPoP (RFC 9449): proofs at the token endpoint bind the access token (cnf.jkt, token_type DPoP)
and a public client's refresh token to the client's key; UserInfo wants the DPoP scheme and a
proof of that key; nonces come from the server and any instance accepts them; a proof is good once."""
from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey
from sqlalchemy import func, select

from idp.maintenance import purge_expired
from idp.oidc.models import DpopProofJti
from tests.support.authz import AuthRequest, Clock, assert_code_redirect, assert_redirects_to
from tests.support.dpop import DpopKey, dpop_userinfo, post_with_proof
from tests.support.portal import ISSUER, running_portal
from tests.support.token_flows import assert_oauth_error, basic
from tests.support.tokens import introspect, post_as


async def code_for(put, browser, client, **extra) -> tuple[str, str]:
    request = AuthRequest.build(client, scope="openid profile offline_access", **extra)
    return assert_code_redirect(await browser.authorize(request.params), client, request.state), request.verifier


def redemption(client, code: str, verifier: str) -> dict:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri,
            "code_verifier": verifier, "client_id": client.client_id}


async def dpop_tokens(put, browser, client, key: DpopKey) -> dict:
    code, verifier = await code_for(put, browser, client)
    response = await post_with_proof(put, "/token", redemption(client, code, verifier), key, client=client)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
async def test_a_proof_binds_the_access_token_to_the_key(put, browser, alg):
    key = DpopKey(alg)
    code, verifier = await code_for(put, browser, put.rp)
    async with put.http() as http:  # the first proof has no nonce: the portal gives one
        first = await http.post("/token", data=redemption(put.rp, code, verifier), headers={
            **basic(put.rp), "DPoP": key.proof("POST", "/token")})
    assert_oauth_error(first, "use_dpop_nonce")
    key.nonce = first.headers["DPoP-Nonce"]
    response = await post_with_proof(put, "/token", redemption(put.rp, code, verifier), key, client=put.rp)
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "DPoP" and response.headers["DPoP-Nonce"] == key.nonce  # §8.2: the current one
    details = await introspect(put, put.rp, tokens["access_token"])
    assert details["active"] and details["token_type"] == "DPoP" and details["cnf"] == {"jkt": key.jkt}
    assert (await dpop_userinfo(put, tokens["access_token"], key)).json()["sub"]


async def test_userinfo_refuses_a_bound_token_without_its_proof(put, browser):
    key, other = DpopKey(), DpopKey()
    tokens = await dpop_tokens(put, browser, put.rp, key)
    token = tokens["access_token"]
    async with put.http() as http:
        as_bearer = await http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
        no_proof = await http.get("/userinfo", headers={"Authorization": f"DPoP {token}"})
    assert as_bearer.status_code == 401 and as_bearer.headers["WWW-Authenticate"].startswith("DPoP ")
    assert no_proof.status_code == 400
    other.nonce = key.nonce
    assert (await dpop_userinfo(put, token, other)).status_code == 401  # another key's proof
    for proof, why in (({"ath": "x" * 43}, "ath"), ({"htm": "POST"}, "htm"),
                       ({"htu": "https://op.example.test/token"}, "htu"), ({"iat": 1}, "iat")):
        refused = await dpop_userinfo(put, token, key, **proof)
        assert refused.status_code == 401, why
        assert 'error="invalid_dpop_proof"' in refused.headers["WWW-Authenticate"], why
    without_nonce = await dpop_userinfo(put, token, key, nonce=None)
    assert without_nonce.status_code == 401 and without_nonce.headers["DPoP-Nonce"] == key.nonce
    assert 'error="use_dpop_nonce"' in without_nonce.headers["WWW-Authenticate"]
    assert (await dpop_userinfo(put, token, key)).status_code == 200
    # htu is compared normalized (RFC 3986 §6.2): the default port written out is the same URL.
    assert (await dpop_userinfo(put, token, key, htu="https://OP.example.test:443/userinfo")).status_code == 200


async def test_an_unbound_token_is_refused_under_the_dpop_scheme(put, browser):
    key = DpopKey()
    bearer = await dpop_tokens(put, browser, put.rp, key)  # only to get a nonce
    code, verifier = await code_for(put, browser, put.rp)
    async with put.http() as http:
        plain = (await http.post("/token", data=redemption(put.rp, code, verifier), headers=basic(put.rp))).json()
    assert plain["token_type"] == "Bearer" and bearer["token_type"] == "DPoP"
    assert (await dpop_userinfo(put, plain["access_token"], key)).status_code == 401


async def test_a_proof_is_good_once_even_in_parallel(put, browser):
    key = DpopKey()
    token = (await dpop_tokens(put, browser, put.rp, key))["access_token"]
    proof = key.proof("GET", "/userinfo", access_token=token)
    async with put.http() as http:
        responses = await asyncio.gather(*(http.get("/userinfo", headers={
            "Authorization": f"DPoP {token}", "DPoP": proof}) for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [200] + [401] * 5
    assert all('error="invalid_dpop_proof"' in r.headers["WWW-Authenticate"] for r in responses if r.status_code == 401)


def symmetric_proof(nonce: str) -> str:
    """A proof MACed with a key it carries: anyone could make one (RFC 9449 §4.2: asymmetric only)."""
    secret = OctKey.generate_key(256)
    claims = {"jti": "j", "htm": "POST", "htu": ISSUER + "/token", "iat": int(time.time()), "nonce": nonce}
    header = {"typ": "dpop+jwt", "alg": "HS256", "jwk": secret.as_dict(private=True)}
    return jwt.encode(header, claims, secret, algorithms=["HS256"])


@pytest.mark.parametrize("header", [{"typ": "JWT"}, {"jwk": None}, {"jwk": "symmetric"},
                                    {"jwk": {"kty": "EC", "crv": "P-999", "x": "AA", "y": "AA"}},
                                    {"jwk": {"kty": "RSA", "n": "AA", "e": "AQAB"}}])
async def test_malformed_proofs_are_refused_at_the_token_endpoint(put, header):
    key = DpopKey()
    async with put.http() as http:
        nonce = (await http.post("/token", data={"grant_type": "client_credentials"}, headers={
            **basic(put.rp), "DPoP": key.proof("POST", "/token")})).headers["DPoP-Nonce"]
        if header.get("jwk") == "symmetric":
            proof = symmetric_proof(nonce)
        else:
            proof = key.proof("POST", "/token", nonce=nonce, header=header)
        response = await http.post("/token", data={"grant_type": "client_credentials"},
                                   headers={**basic(put.rp), "DPoP": proof})
    assert_oauth_error(response, "invalid_dpop_proof")


async def test_a_proof_carrying_the_private_key_is_refused(put):
    key = DpopKey()
    async with put.http() as http:
        nonce = (await http.post("/token", data={"grant_type": "client_credentials"}, headers={
            **basic(put.rp), "DPoP": key.proof("POST", "/token")})).headers["DPoP-Nonce"]
        proof = key.proof("POST", "/token", nonce=nonce, header={"jwk": key.key.as_dict(private=True)})
        response = await http.post("/token", data={"grant_type": "client_credentials"},
                                   headers={**basic(put.rp), "DPoP": proof})
    assert_oauth_error(response, "invalid_dpop_proof")


async def test_a_public_clients_refresh_token_works_only_with_its_key(put, browser):
    app = await put.add_client("app", token_endpoint_auth_method="none")
    key, other = DpopKey(), DpopKey()
    tokens = await dpop_tokens(put, browser, app, key)
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "app"}
    async with put.http() as http:
        unproven = await http.post("/token", data=form)
    assert_oauth_error(unproven, "invalid_grant")
    other.nonce = key.nonce
    assert_oauth_error(await post_with_proof(put, "/token", form, other, client=app), "invalid_grant")
    # Neither attempt used the token up, nor revoked the family: its key still refreshes it.
    renewed = await post_with_proof(put, "/token", form, key, client=app)
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["token_type"] == "DPoP"
    again = {**form, "refresh_token": renewed.json()["refresh_token"]}
    async with put.http() as http:  # the rotated refresh token is bound as well
        assert_oauth_error(await http.post("/token", data=again), "invalid_grant")


async def test_a_confidential_clients_refresh_token_is_not_bound_to_the_key(put, browser):
    tokens = await dpop_tokens(put, browser, put.rp, DpopKey())
    response = await post_as(put, put.rp, "/token", grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"  # no proof this time: a bearer access token


async def test_dpop_jkt_binds_the_code_to_the_key(put, browser):
    key, other = DpopKey(), DpopKey()
    code, verifier = await code_for(put, browser, put.rp, dpop_jkt=key.jkt)
    stolen = await post_with_proof(put, "/token", redemption(put.rp, code, verifier), other, client=put.rp)
    assert_oauth_error(stolen, "invalid_grant")
    code, verifier = await code_for(put, browser, put.rp, dpop_jkt=key.jkt)
    async with put.http() as http:
        bare = await http.post("/token", data=redemption(put.rp, code, verifier), headers=basic(put.rp))
    assert_oauth_error(bare, "invalid_grant")
    code, verifier = await code_for(put, browser, put.rp, dpop_jkt=key.jkt)
    response = await post_with_proof(put, "/token", redemption(put.rp, code, verifier), key, client=put.rp)
    assert response.status_code == 200 and response.json()["token_type"] == "DPoP"


async def test_a_malformed_dpop_jkt_is_refused(put, browser):
    request = AuthRequest.build(put.rp, dpop_jkt="not-a-thumbprint")
    params = assert_redirects_to(await browser.go("/authorize?" + urlencode(request.params)), put.rp)
    assert params["error"] == "invalid_request"


async def test_a_proof_with_a_pushed_request_binds_the_code(put, browser):
    key, other = DpopKey(), DpopKey()
    request = AuthRequest.build(put.rp)
    pushed = await post_with_proof(put, "/par", request.params, key, client=put.rp)
    assert pushed.status_code == 201, pushed.text
    response = await browser.authorize({"client_id": put.rp.client_id, "request_uri": pushed.json()["request_uri"]})
    code = assert_code_redirect(response, put.rp, request.state)
    other.nonce = key.nonce
    stolen = await post_with_proof(put, "/token", redemption(put.rp, code, request.verifier), other, client=put.rp)
    assert_oauth_error(stolen, "invalid_grant")
    mismatch = AuthRequest.build(put.rp, dpop_jkt=other.jkt)
    assert_oauth_error(await post_with_proof(put, "/par", mismatch.params, key, client=put.rp), "invalid_dpop_proof")


async def test_a_nonce_from_one_instance_is_good_at_another_and_expires(database_url, monkeypatch):
    clock = Clock(monkeypatch)
    key = DpopKey()
    async with running_portal(database_url) as first, running_portal(database_url) as second:
        rp = await first.add_client("rp")
        form = {"grant_type": "client_credentials"}
        assert (await post_with_proof(first, "/token", form, key, client=rp)).status_code == 200
        async with second.http() as http:  # the nonce first gave, without a new round trip
            response = await http.post("/token", data=form, auth=(rp.client_id, rp.client_secret),
                                       headers={"DPoP": key.proof("POST", "/token")})
        assert response.status_code == 200, response.text
        clock.advance(600)
        async with second.http() as http:
            stale = await http.post("/token", data=form, auth=(rp.client_id, rp.client_secret),
                                    headers={"DPoP": key.proof("POST", "/token")})
        assert_oauth_error(stale, "use_dpop_nonce")
        assert stale.headers["DPoP-Nonce"] != key.nonce


async def test_seen_proofs_are_purged_once_too_old_to_be_accepted(put, monkeypatch):
    clock = Clock(monkeypatch)
    assert (await post_with_proof(put, "/token", {"grant_type": "client_credentials"}, DpopKey(),
                                  client=put.rp)).status_code == 200
    count = select(func.count()).select_from(DpopProofJti)
    async with put.portal.sessionmaker() as db:
        assert await db.scalar(count) == 1
    clock.advance(91)
    await purge_expired(put.portal)
    async with put.portal.sessionmaker() as db:
        assert await db.scalar(count) == 0


async def test_discovery_names_the_proof_algorithms(put):
    async with put.http() as http:
        metadata = (await http.get("/.well-known/openid-configuration")).json()
    assert metadata["dpop_signing_alg_values_supported"] == ["ES256", "PS256", "RS256"]
