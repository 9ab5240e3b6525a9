"""What the Spring Security and ASP.NET Core recipes of docs/integration.md ("Recipes") rely on from
the portal, checked on the provider's side: those frameworks are not run here (the Node recipe is,
tests/test_example_node_system.py), so a change to any of these values must fail here before a
recipe silently goes stale.

Each test names the recipe lines it guards."""
from __future__ import annotations

import json
from base64 import urlsafe_b64decode
from urllib.parse import urlencode

from tests.support.portal import callback_params
from tests.support.signin import authorization_params, claims_of, received_tokens, settle_backchannel, sign_in

EVENT = "http://schemas.openid.net/event/backchannel-logout"
SPRING_REDIRECT = "https://spring.example.test/login/oauth2/code/zwfw"  # {baseUrl}/login/oauth2/code/{registrationId}
ASPNET_REDIRECT = "https://aspnet.example.test/signin-oidc"  # CallbackPath's default


def header(token: str) -> dict:
    return json.loads(urlsafe_b64decode(token.split(".")[0] + "==="))


async def test_discovery_holds_what_the_recipes_configure(put):
    """issuer-uri / Authority / discovery(): the issuer byte for byte, code flow with S256 only,
    form_post (ASP.NET's default response mode), client_secret_basic (Spring's and openid-client's
    ClientSecretBasic) and client_secret_post (ASP.NET's default), RS256 ID tokens, back-channel
    logout with sid, and the RFC 9207 iss parameter openid-client checks."""
    async with put.http() as http:
        metadata = (await http.get("/.well-known/openid-configuration")).json()
    assert metadata["issuer"] == put.settings.issuer
    for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                     "end_session_endpoint"):
        assert metadata[endpoint].startswith(put.settings.issuer + "/")
    assert metadata["response_types_supported"] == ["code"]
    assert {"query", "form_post"} <= set(metadata["response_modes_supported"])
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert {"client_secret_basic", "client_secret_post"} <= set(metadata["token_endpoint_auth_methods_supported"])
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]
    assert "public" in metadata["subject_types_supported"]  # the default: a client asks for pairwise
    assert {"openid", "profile"} <= set(metadata["scopes_supported"])
    assert metadata["backchannel_logout_supported"] is metadata["backchannel_logout_session_supported"] is True
    assert metadata["authorization_response_iss_parameter_supported"] is True


async def test_a_confidential_client_without_pkce_is_refused(put, browser):
    """"PKCE is required": Spring sends none for a confidential client unless the recipe's
    OAuth2AuthorizationRequestCustomizers.withPkce() is set; ASP.NET's UsePkce must stay true."""
    spring = await put.add_client("spring", redirect_uris=[SPRING_REDIRECT])
    params, _ = authorization_params(spring)
    del params["code_challenge"], params["code_challenge_method"]
    answer = callback_params(await browser.go("/authorize?" + urlencode(params)))
    assert answer["error"] == "invalid_request" and "PKCE" in answer["error_description"]
    params, _ = authorization_params(spring, code_challenge_method="plain")
    assert callback_params(await browser.go("/authorize?" + urlencode(params)))["error"] == "invalid_request"


async def test_token_types_and_claims_the_recipes_validate(put, browser):
    """The ID token is typ JWT (every framework's default); the access token is typ at+jwt (RFC 9068),
    which Spring's NimbusJwtDecoder refuses until the recipe's type verifier, with aud the client id
    (the recipes' audience check), iss, sub, client_id, a space-separated scope (Spring's SCOPE_
    authorities; ASP.NET's policy reads it) and exp."""
    aspnet = await put.add_client("aspnet", redirect_uris=[ASPNET_REDIRECT])
    tokens = await sign_in(put, browser, aspnet)
    assert header(tokens["id_token"])["typ"] == "JWT" and header(tokens["id_token"])["alg"] == "RS256"
    assert header(tokens["access_token"])["typ"] == "at+jwt"
    claims = await claims_of(put, tokens["access_token"])
    assert claims["iss"] == put.settings.issuer and claims["aud"] == "aspnet" and claims["client_id"] == "aspnet"
    assert claims["sub"] == put.account.subject and isinstance(claims["exp"], int)
    assert set(claims["scope"].split()) == {"openid", "profile"}
    id_token = await claims_of(put, tokens["id_token"])
    assert id_token["aud"] == "aspnet" and isinstance(id_token["sid"], str)


async def test_the_logout_token_the_recipes_accept(put, browser):
    """typ logout+jwt (Spring before its fix and every JsonWebTokenHandler with ValidTypes need
    telling), aud the client id, sid and sub, the back-channel event, no nonce."""
    tokens = await sign_in(put, browser)
    page = await browser.client.get("/logout?" + urlencode({"id_token_hint": tokens["id_token"]}))
    assert page.status_code == 200
    await settle_backchannel(put)
    [token] = received_tokens(put, f"{put.rp.client_id}.rp.example.test")
    assert header(token)["typ"] == "logout+jwt"
    claims = await claims_of(put, token)
    id_token = await claims_of(put, tokens["id_token"])
    assert claims["aud"] == put.rp.client_id and claims["iss"] == put.settings.issuer
    assert claims["sid"] == id_token["sid"] and claims["sub"] == id_token["sub"]
    assert claims["events"] == {EVENT: {}} and "nonce" not in claims
    assert isinstance(claims["exp"], int) and 0 < claims["exp"] - claims["iat"] <= 120  # JsonWebTokenHandler wants exp
