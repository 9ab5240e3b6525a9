"""A client shaped as the FAPI 2.0 Security Profile asks (docs/claims.md, "FAPI 2.0"): private_key_jwt
at every endpoint, pushed requests only, PKCE S256, DPoP-bound tokens, ES256 ID tokens, iss in the
authorization response; what the portal offers for it works together, from the push to UserInfo."""
from __future__ import annotations

import secrets
import time

from joserfc import jwt
from joserfc.jwk import ECKey

from tests.support.authz import AuthRequest, assert_code_redirect, id_token_claims
from tests.support.dpop import DpopKey
from tests.support.portal import ISSUER

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def assertion(key: ECKey) -> dict:
    """A fresh private_key_jwt assertion (each is good once), with the issuer as its audience."""
    now = int(time.time())
    claims = {"iss": "fapi", "sub": "fapi", "aud": ISSUER, "iat": now, "exp": now + 60,
              "jti": secrets.token_urlsafe(16)}
    return {"client_assertion_type": ASSERTION_TYPE,
            "client_assertion": jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key, algorithms=["ES256"])}


async def post_dpop(http, path: str, form: dict, client_key: ECKey, dpop: DpopKey):
    """As a client library does it: a new assertion and a new proof for the retry after use_dpop_nonce."""
    for _ in range(2):
        response = await http.post(path, data={**form, **assertion(client_key)},
                                   headers={"DPoP": dpop.proof("POST", path)})
        if response.status_code == 400 and response.json().get("error") == "use_dpop_nonce":
            dpop.nonce = response.headers["DPoP-Nonce"]
            continue
        return response
    return response


async def test_a_fapi_shaped_client_logs_in_with_par_pkce_dpop_and_private_key_jwt(put, browser):
    client_key = ECKey.generate_key("P-256", private=True, auto_kid=True)
    fapi = await put.add_client("fapi", token_endpoint_auth_method="private_key_jwt",
                                jwks={"keys": [client_key.as_dict(private=False)]},
                                require_pushed_authorization_requests=True, id_token_signed_response_alg="ES256")
    dpop = DpopKey("ES256")
    request = AuthRequest.build(fapi, scope="openid profile")
    async with put.http() as http:
        pushed = await post_dpop(http, "/par", request.params, client_key, dpop)
        assert pushed.status_code == 201, pushed.text
        response = await browser.authorize({"client_id": "fapi", "request_uri": pushed.json()["request_uri"]})
        code = assert_code_redirect(response, fapi, request.state)  # with iss (RFC 9207)
        redeemed = await post_dpop(http, "/token", {
            "grant_type": "authorization_code", "code": code, "redirect_uri": fapi.redirect_uri,
            "code_verifier": request.verifier}, client_key, dpop)
        assert redeemed.status_code == 200, redeemed.text
        tokens = redeemed.json()
        assert tokens["token_type"] == "DPoP"
        info = await http.get("/userinfo", headers={
            "Authorization": f"DPoP {tokens['access_token']}",
            "DPoP": dpop.proof("GET", "/userinfo", access_token=tokens["access_token"])})
    assert info.status_code == 200, info.text
    claims = await id_token_claims(put, tokens["id_token"])
    assert claims["sub"] == info.json()["sub"] and claims["aud"] == "fapi"
