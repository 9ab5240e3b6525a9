"""The UserInfo endpoint (OIDC Core §5.3, RFC 6750 §2): how the token may be sent, which tokens
are refused, and which claims each scope releases (docs/claims.md)."""
import base64
import json

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from idp import clock
from idp.accounts.models import Account
from idp.clients.models import Client
from tests.support.portal import Browser
from tests.support.tokens import (
    client_credentials,
    code_flow,
    post_as,
    shift_clock,
    unverified_header,
    userinfo,
    verified_claims,
)

ENTERPRISE = dict(account_type="legal_person", enterprise_name="示例医疗器械有限公司",
                  credit_code="91350100M000100Y43")


def b64url_json(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def assert_invalid_token(response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge


async def test_get_with_bearer_header_returns_the_id_token_subject(put, browser):
    tokens = await code_flow(put, browser, put.rp, "openid profile")
    response = await userinfo(put, tokens["access_token"])
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/json"
    id_token = await verified_claims(put, tokens["id_token"])
    assert response.json()["sub"] == id_token["sub"] == put.account.subject


async def test_post_with_bearer_header_or_form_body(put, browser):
    access_token = (await code_flow(put, browser, put.rp, "openid profile"))["access_token"]
    async with put.http() as http:
        in_header = await http.post("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
        in_body = await http.post("/userinfo", data={"access_token": access_token})
    for response in (in_header, in_body):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == "application/json"
        assert response.json()["sub"] == put.account.subject
        assert response.json()["name"] == "张三"


async def test_token_in_query_string_is_not_accepted(put, browser):
    """RFC 9700 / OAuth 2.1: bearer tokens never travel in the URI."""
    access_token = (await code_flow(put, browser, put.rp, "openid profile"))["access_token"]
    async with put.http() as http:
        for method in ("GET", "POST"):
            response = await http.request(method, "/userinfo", params={"access_token": access_token})
            assert response.status_code == 401, (method, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert "sub" not in response.json()


async def test_token_in_header_and_body_at_once_is_invalid_request(put, browser):
    """RFC 6750 §2: a client MUST NOT use more than one method per request."""
    access_token = (await code_flow(put, browser, put.rp, "openid"))["access_token"]
    async with put.http() as http:
        response = await http.post("/userinfo", headers={"Authorization": f"Bearer {access_token}"},
                                   data={"access_token": access_token})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_no_token_is_a_bare_bearer_challenge(put):
    """RFC 6750 §3.1: without any authentication information, 401 and a challenge without an
    error code."""
    async with put.http() as http:
        for response in (await http.get("/userinfo"), await http.post("/userinfo"),
                         await http.get("/userinfo", headers={"Authorization": "Basic cnA6eA=="})):
            assert response.status_code == 401
            challenge = response.headers["www-authenticate"]
            assert challenge.startswith("Bearer") and "error=" not in challenge


async def test_expired_token_is_refused(put, browser, monkeypatch):
    access_token = (await code_flow(put, browser, put.rp, "openid profile"))["access_token"]
    assert (await userinfo(put, access_token)).status_code == 200
    shift_clock(monkeypatch, put.settings.access_token_ttl_seconds + 1)
    assert_invalid_token(await userinfo(put, access_token))


async def test_token_signed_by_another_key_is_refused(put, browser):
    access_token = (await code_flow(put, browser, put.rp, "openid profile"))["access_token"]
    header = unverified_header(access_token)
    claims = await verified_claims(put, access_token)
    # A key of the same algorithm (access tokens are ES256 by default), not ours.
    foreign = (ECKey.generate_key("P-256", private=True) if header["alg"] == "ES256"
               else RSAKey.generate_key(2048, private=True))
    forged = jwt.encode(header, claims, foreign, algorithms=[header["alg"]])
    assert_invalid_token(await userinfo(put, forged))
    unsigned = ".".join([b64url_json({**header, "alg": "none"}), access_token.split(".")[1], ""])
    assert_invalid_token(await userinfo(put, unsigned))
    assert (await userinfo(put, access_token)).status_code == 200


async def test_id_token_is_not_an_access_token(put, browser):
    """RFC 9068 §4: only a token typed at+jwt is an access token, though the ID token carries
    the same signature and subject."""
    id_token = (await code_flow(put, browser, put.rp, "openid profile"))["id_token"]
    assert_invalid_token(await userinfo(put, id_token))
    assert (await post_as(put, put.rp, "/introspect", token=id_token)).json() == {"active": False}


async def test_revoked_token_is_refused(put, browser):
    access_token = (await code_flow(put, browser, put.rp, "openid profile"))["access_token"]
    assert (await post_as(put, put.rp, "/revoke", token=access_token)).status_code == 200
    assert_invalid_token(await userinfo(put, access_token))


async def test_client_credentials_token_has_no_user(put):
    access_token = (await client_credentials(put, put.rp, "profile"))["access_token"]
    assert_invalid_token(await userinfo(put, access_token))


async def test_disabled_account_gets_no_claims(put, browser):
    access_token = (await code_flow(put, browser, put.rp, "openid profile"))["access_token"]
    async with put.portal.sessionmaker.begin() as db:
        (await db.get(Account, put.account.id)).disabled_at = clock.now()
    assert_invalid_token(await userinfo(put, access_token))


async def test_disabled_clients_token_gets_no_claims(put, browser):
    access_token = (await code_flow(put, browser, put.rp, "openid profile"))["access_token"]
    async with put.portal.sessionmaker.begin() as db:
        (await db.get(Client, "rp")).disabled_at = clock.now()
    assert_invalid_token(await userinfo(put, access_token))


async def test_openid_alone_gives_only_sub(put, browser):
    access_token = (await code_flow(put, browser, put.rp, "openid"))["access_token"]
    assert (await userinfo(put, access_token)).json() == {"sub": put.account.subject}


async def test_claims_by_scope(put, browser):
    cases = {
        "profile": {"name": "张三", "preferred_username": "zhangsan"},
        # Typed in at registration, never proven by a code: not verified (OIDC Core §5.1).
        "phone": {"phone_number": "13800138000", "phone_number_verified": False},
        "email": {"email": "zhangsan@example.com", "email_verified": False},
        "identity": {"account_type": "personal", "realname_level": 2},
        "id_number": {"id_type": "居民身份证", "id_number": put.account.id_number},
    }
    for scope, expected in cases.items():
        info = (await userinfo(put, (await code_flow(put, browser, put.rp, f"openid {scope}"))["access_token"])).json()
        assert info["sub"] == put.account.subject
        assert {k: info.get(k) for k in expected} == expected, scope
        others = {c for s, claims in cases.items() if s != scope for c in claims}
        assert not others & set(info), (scope, info)
        assert "enterprise" not in info


async def test_contact_is_verified_only_once_proven(put, browser):
    access_token = (await code_flow(put, browser, put.rp, "openid phone email"))["access_token"]
    async with put.portal.sessionmaker.begin() as db:
        (await db.get(Account, put.account.id)).mobile_verified_at = clock.now()
    info = (await userinfo(put, access_token)).json()
    assert info["phone_number_verified"] is True and info["email_verified"] is False
    async with put.portal.sessionmaker.begin() as db:
        (await db.get(Account, put.account.id)).email_verified_at = clock.now()
    assert (await userinfo(put, access_token)).json()["email_verified"] is True


async def test_profile_updated_at_is_a_number(put, browser):
    info = (await userinfo(put, (await code_flow(put, browser, put.rp, "openid profile"))["access_token"])).json()
    assert isinstance(info["updated_at"], int) and not isinstance(info["updated_at"], bool)


async def test_enterprise_scope_for_a_legal_person(put):
    await put.add_account("corp", name="李四", **ENTERPRISE)
    corp_browser = Browser(put)
    try:
        tokens = await code_flow(put, corp_browser, put.rp, "openid enterprise identity", username="corp")
    finally:
        await corp_browser.aclose()
    info = (await userinfo(put, tokens["access_token"])).json()
    assert info["enterprise"] == {"name": "示例医疗器械有限公司", "unified_social_credit_code": "91350100M000100Y43",
                                  "legal_representative": "李四"}
    assert info["account_type"] == "legal_person"
    assert info["sub"] == (await verified_claims(put, tokens["id_token"]))["sub"] != put.account.subject


async def test_enterprise_scope_for_a_personal_account_gives_nothing(put, browser):
    info = (await userinfo(put, (await code_flow(put, browser, put.rp, "openid enterprise"))["access_token"])).json()
    assert info == {"sub": put.account.subject}


async def test_essential_claim_in_claims_parameter(put, browser):
    """Conformance oidcc-claims-essential: name in userinfo, not in the ID token."""
    tokens = await code_flow(put, browser, put.rp, "openid", claims={"userinfo": {"name": {"essential": True}}})
    info = (await userinfo(put, tokens["access_token"])).json()
    assert info == {"sub": put.account.subject, "name": "张三"}
    assert "name" not in await verified_claims(put, tokens["id_token"])


async def test_claims_parameter_cannot_reach_id_number_without_its_scope(put, browser):
    """id_number needs its scope and the user's consent; the claims parameter is no way around."""
    tokens = await code_flow(put, browser, put.rp, "openid",
                             claims={"userinfo": {"id_number": {"essential": True}, "phone_number": None},
                                     "id_token": {"id_type": None}})
    info = (await userinfo(put, tokens["access_token"])).json()
    assert info == {"sub": put.account.subject, "phone_number": "13800138000"}
    assert "id_type" not in await verified_claims(put, tokens["id_token"])


async def test_claims_parameter_stays_within_the_clients_registered_scopes(put, browser):
    narrow = await put.add_client("narrow", scopes=["openid", "profile"])
    tokens = await code_flow(put, browser, narrow, "openid", claims={
        "userinfo": {"name": {"essential": True}, "phone_number": None, "email": None},
        "id_token": {"preferred_username": None, "phone_number": None, "email": None}})
    info = (await userinfo(put, tokens["access_token"])).json()
    assert info == {"sub": put.account.subject, "name": "张三"}
    id_token = await verified_claims(put, tokens["id_token"])
    assert id_token["preferred_username"] == "zhangsan"
    assert "phone_number" not in id_token and "email" not in id_token
