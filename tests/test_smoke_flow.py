"""The happy path with Authlib's OAuth client as the relying party."""
from urllib.parse import parse_qsl, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.portal import ISSUER, callback_params


async def test_code_flow_with_authlib_client(put, browser):
    rp = put.oauth_client(put.rp)
    url, state = rp.create_authorization_url(f"{ISSUER}/authorize", nonce="n-0S6_WzA2Mj",
                                             code_verifier="v" * 50)
    redirect = await browser.authorize(dict(parse_qsl(urlsplit(url).query)))
    params = callback_params(redirect)
    assert params["state"] == state
    assert params["iss"] == ISSUER
    token = await rp.fetch_token(f"{ISSUER}/token", authorization_response=redirect.headers["location"],
                                 code_verifier="v" * 50)
    jwks = (await put.http().get("/jwks")).json()
    claims = jwt.decode(token["id_token"], KeySet.import_key_set(jwks)).claims
    assert claims["iss"] == ISSUER and claims["aud"] == "rp" and claims["nonce"] == "n-0S6_WzA2Mj"
    info = (await rp.get(f"{ISSUER}/userinfo")).json()
    assert info["sub"] == claims["sub"] == put.account.subject
    assert info["name"] == "张三"
