"""Provider metadata (OIDC Discovery 1.0 §3, RFC 8414 §2) and the JWKS (RFC 7517).

Only what the provider really does is advertised; a feature it lacks (signed UserInfo, for one)
is left out rather than listed as an empty array.
"""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request

from idp.keys.store import SUPPORTED_ALGS
from idp.oidc.dpop import DPOP_ALGS
from idp.oidc.json_endpoints import JSONResponse, json_response
from idp.oidc.scopes import ALL_CLAIMS, SUPPORTED_SCOPES
from idp.oidc.sessions_acr import ACR_VALUES
from idp.portal import Portal
from idp.settings import Settings
from shared.exact_routes import plain_route

router = APIRouter()
# Browser-based relying parties fetch the metadata and keys from another origin.
ANY_ORIGIN = {"Access-Control-Allow-Origin": "*"}
CLIENT_ASSERTION_ALGS = ["RS256", "ES256", "PS256"]  # private_key_jwt (RFC 7523)


def provider_metadata(settings: Settings) -> dict:
    e = settings.endpoint
    return {
        "issuer": settings.issuer,
        "authorization_endpoint": e("/authorize"),
        "token_endpoint": e("/token"),
        "userinfo_endpoint": e("/userinfo"),
        "jwks_uri": e("/jwks"),
        "end_session_endpoint": e("/logout"),
        "revocation_endpoint": e("/revoke"),
        "introspection_endpoint": e("/introspect"),
        "pushed_authorization_request_endpoint": e("/par"),  # RFC 9126 §5
        "require_pushed_authorization_requests": settings.require_pushed_authorization_requests,
        "scopes_supported": sorted(SUPPORTED_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public", "pairwise"],  # OIDC Core §8; idp.clients.pairwise
        "id_token_signing_alg_values_supported": list(SUPPORTED_ALGS),
        # "none": public clients (with PKCE) redeem codes and may revoke their own tokens
        # (RFC 7009 §2.1); introspection is for authenticated clients only (RFC 7662 §2.1).
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt",
                                                  "none"],
        "token_endpoint_auth_signing_alg_values_supported": CLIENT_ASSERTION_ALGS,
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
                                                       "private_key_jwt", "none"],
        # RFC 8414 §2: required beside private_key_jwt; the same client authentication serves all three.
        "revocation_endpoint_auth_signing_alg_values_supported": CLIENT_ASSERTION_ALGS,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
                                                          "private_key_jwt"],
        "introspection_endpoint_auth_signing_alg_values_supported": CLIENT_ASSERTION_ALGS,
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": list(DPOP_ALGS),  # RFC 9449 §5.1
        "claims_supported": list(ALL_CLAIMS),
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "acr_values_supported": list(ACR_VALUES),
        "ui_locales_supported": ["zh-CN"],
        "claims_locales_supported": ["zh-CN"],
        "display_values_supported": ["page"],
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }


@plain_route(router, "/.well-known/openid-configuration", ["GET"])
async def openid_configuration(request: Request) -> JSONResponse:
    portal: Portal = request.app.state.portal
    return json_response(provider_metadata(portal.settings), public_for=300, headers=ANY_ORIGIN)


@plain_route(router, "/.well-known/oauth-authorization-server", ["GET"])
async def oauth_authorization_server(request: Request) -> JSONResponse:
    """RFC 8414 §3: the same metadata (the OpenID fields are RFC 8414 §2's, or registered
    extensions of it), for OAuth clients that look here rather than at the OpenID document.
    Served at the root: an issuer with a path would have it appended to this name (§3.1)."""
    portal: Portal = request.app.state.portal
    return json_response(provider_metadata(portal.settings), public_for=300, headers=ANY_ORIGIN)


@plain_route(router, "/jwks", ["GET"])
async def jwks(request: Request) -> JSONResponse:
    portal: Portal = request.app.state.portal
    ring = await portal.key_ring()
    return json_response(ring.jwks(), public_for=60, headers=ANY_ORIGIN)
