"""ID tokens (OIDC Core §2, §3.1.3.6, §5.5, §12.2) and JWT access tokens (RFC 9068 §2), as a
relying party sees them: verified against the published JWKS, with joserfc and with python-jose."""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import time

import pytest
from jose import jwt as jose_jwt
from jose.exceptions import JWTClaimsError
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select, update

from idp import clock
from idp.oidc.sessions_acr import ACR_LEVEL_2, AMR_PASSWORD
from idp.sessions.models import UserSession
from tests.support.portal import ISSUER
from tests.support.token_flows import refresh, tokens_for

NONCE = "n-0S6_WzA2Mj 随机+/=?&"  # spaces, CJK and URL metacharacters must come back byte for byte
STRICT = {"require_exp": True, "require_iat": True, "require_iss": True, "require_sub": True, "require_aud": True}


async def published_jwks(put) -> dict:
    async with put.http() as http:
        return (await http.get("/jwks")).json()


def header_of(token: str) -> dict:
    return jose_jwt.get_unverified_header(token)


async def verified_claims(put, token: str) -> dict:
    """Signature checked against /jwks, the way any relying party would."""
    return dict(jwt.decode(token, KeySet.import_key_set(await published_jwks(put))).claims)


def expected_at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: left half of SHA-256 (for RS256 and ES256), base64url without padding."""
    half = hashlib.sha256(access_token.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode()


async def test_id_token_header_names_a_published_key_and_rs256_by_default(put, browser):
    tokens = await tokens_for(put, browser, put.rp)
    header = header_of(tokens["id_token"])
    assert header["alg"] == "RS256"
    published = {k["kid"]: k for k in (await published_jwks(put))["keys"]}
    assert header["kid"] in published and published[header["kid"]]["kty"] == "RSA"
    assert (await verified_claims(put, tokens["id_token"]))["aud"] == "rp"


async def test_id_token_es256_for_a_client_registered_for_it(put, browser):
    client = await put.add_client("ecsys", id_token_signed_response_alg="ES256")
    tokens = await tokens_for(put, browser, client)
    header = header_of(tokens["id_token"])
    assert header["alg"] == "ES256"
    published = {k["kid"]: k for k in (await published_jwks(put))["keys"]}
    assert published[header["kid"]]["kty"] == "EC" and published[header["kid"]]["crv"] == "P-256"
    claims = jose_jwt.decode(tokens["id_token"], published[header["kid"]], algorithms=["ES256"], audience="ecsys",
                             issuer=ISSUER, access_token=tokens["access_token"], options=STRICT)
    assert claims["at_hash"] == expected_at_hash(tokens["access_token"])


async def test_id_token_claims(put, browser):
    await tokens_for(put, browser, put.rp)  # logs in
    # Make the login clearly older than any token, so auth_time cannot pass for "now".
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(UserSession).values(auth_time=clock.now() - dt.timedelta(minutes=20)))
    before = int(time.time())
    tokens = await tokens_for(put, browser, put.rp, nonce=NONCE)
    claims = await verified_claims(put, tokens["id_token"])
    assert claims["iss"] == ISSUER
    assert claims["sub"] == put.account.subject
    assert claims["aud"] == "rp"
    assert before - 1 <= claims["iat"] <= int(time.time()) + 1
    assert claims["exp"] == claims["iat"] + put.settings.id_token_ttl_seconds
    assert claims["nonce"] == NONCE
    assert claims["acr"] == ACR_LEVEL_2 and claims["amr"] == AMR_PASSWORD  # the test account is 二级
    assert claims["at_hash"] == expected_at_hash(tokens["access_token"])
    # sid names the login session, and auth_time is when that session authenticated.
    async with put.portal.sessionmaker() as db:
        session = await db.scalar(select(UserSession).where(UserSession.sid == claims["sid"]))
    assert session is not None and session.account_id == put.account.id
    assert claims["auth_time"] == clock.epoch(session.auth_time) <= claims["iat"] - 20 * 60


async def test_id_token_has_no_nonce_when_none_was_sent(put, browser):
    claims = await verified_claims(put, (await tokens_for(put, browser, put.rp))["id_token"])
    assert "nonce" not in claims


async def test_id_token_carries_no_scope_claims_when_an_access_token_is_issued(put, browser):
    """OIDC Core §5.4: with an access token, scope claims are released at userinfo only."""
    tokens = await tokens_for(put, browser, put.rp, scope="openid profile email phone identity")
    claims = await verified_claims(put, tokens["id_token"])
    for name in ("name", "preferred_username", "email", "email_verified", "phone_number", "account_type",
                 "realname_level", "updated_at"):
        assert name not in claims, name
    async with put.http() as http:
        info = (await http.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})).json()
    assert info["name"] == "张三" and info["email"] == "zhangsan@example.com"


async def test_claims_parameter_puts_a_claim_in_the_id_token(put, browser):
    tokens = await tokens_for(put, browser, put.rp, scope="openid",
                              claims='{"id_token":{"name":null,"id_number":null}}')
    claims = await verified_claims(put, tokens["id_token"])
    assert claims["name"] == "张三"
    # Identity numbers need their own consented scope, whatever the claims parameter asks.
    assert "id_number" not in claims and "id_type" not in claims


async def test_access_token_is_an_rfc9068_jwt(put, browser):
    tokens = await tokens_for(put, browser, put.rp, scope="openid profile")
    header = header_of(tokens["access_token"])
    assert header["typ"] == "at+jwt"
    assert header["kid"] in {k["kid"] for k in (await published_jwks(put))["keys"]}
    claims = await verified_claims(put, tokens["access_token"])
    assert claims["iss"] == ISSUER
    assert claims["sub"] == put.account.subject
    assert claims["aud"] == "rp" and claims["client_id"] == "rp"
    assert claims["exp"] == claims["iat"] + put.settings.access_token_ttl_seconds
    assert claims["exp"] - tokens["expires_in"] - 2 <= claims["iat"] <= int(time.time()) + 1
    assert claims["jti"] and claims["scope"].split() == ["openid", "profile"]
    other = await verified_claims(put, (await tokens_for(put, browser, put.rp))["access_token"])
    assert other["jti"] != claims["jti"]


async def test_refreshed_id_token_keeps_identity_and_has_a_new_iat(put, browser):
    """OIDC Core §12.2: same iss, sub, aud and auth_time; iat is the new issue time; no nonce."""
    tokens = await tokens_for(put, browser, put.rp, scope="openid profile offline_access", nonce=NONCE)
    first = await verified_claims(put, tokens["id_token"])
    await asyncio.sleep(1.1)
    response = await refresh(put, put.rp, tokens["refresh_token"])
    assert response.status_code == 200, response.text
    refreshed_tokens = response.json()
    refreshed = await verified_claims(put, refreshed_tokens["id_token"])
    for name in ("iss", "sub", "aud", "auth_time", "sid", "acr"):
        assert refreshed[name] == first[name], name
    assert refreshed["iat"] > first["iat"]
    assert refreshed.get("nonce") in (None, NONCE)
    assert refreshed["at_hash"] == expected_at_hash(refreshed_tokens["access_token"])


async def test_python_jose_relying_party_accepts_our_id_token(put, browser):
    """python-jose as a business system would use it (python-stack-pitfalls §3.3): RS256 only,
    the key chosen by kid, issuer and audience checked, at_hash checked against the access token."""
    tokens = await tokens_for(put, browser, put.rp, nonce=NONCE)
    kid = jose_jwt.get_unverified_header(tokens["id_token"])["kid"]
    key = next(k for k in (await published_jwks(put))["keys"] if k["kid"] == kid)
    claims = jose_jwt.decode(tokens["id_token"], key, algorithms=["RS256"], issuer=ISSUER, audience="rp",
                             access_token=tokens["access_token"], options=STRICT)
    assert claims["sub"] == put.account.subject and claims["nonce"] == NONCE
    # The same checks do bite: another access token, or another audience, is refused.
    with pytest.raises(JWTClaimsError):
        jose_jwt.decode(tokens["id_token"], key, algorithms=["RS256"], issuer=ISSUER, audience="rp",
                        access_token=tokens["access_token"] + "x", options=STRICT)
    with pytest.raises(JWTClaimsError):
        jose_jwt.decode(tokens["id_token"], key, algorithms=["RS256"], issuer=ISSUER, audience="other",
                        access_token=tokens["access_token"], options=STRICT)
