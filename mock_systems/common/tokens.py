"""Verifying the portal's JWTs with python-jose, which leaves these checks to its caller (and
docs/claims.md shows business-system teams):

- the key is chosen by the header's ``kid`` from the portal's JWKS (python-jose selects none),
  refetching the JWKS once on an unknown kid;
- ``algorithms`` is never None nor HMAC: RS256 or ES256, and only the one that fits the chosen
  key (an RSA key verifies RS256 only, an EC key ES256 only);
- issuer, audience (our client_id) and exp, iat, iss, aud, sub required; ``access_token`` given
  so that ``at_hash`` is checked; the nonce, ``azp`` and the logout token's own rules by hand.
"""
from __future__ import annotations

import time

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JOSEError, JWTClaimsError

from mock_systems.common.portal_client import PortalClient
from mock_systems.common.security import constant_time_equal
from mock_systems.common.settings import SystemSettings
from shared.binding import PORTAL_REQUEST_MAX_SECONDS, PORTAL_REQUEST_TYP
from shared.safe_json import UntrustedInput, compact_jws

KEY_ALGORITHMS = {"RSA": "RS256", "EC": "ES256"}  # what the portal signs with, per key type
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
REQUIRED = {"require_exp": True, "require_iat": True, "require_iss": True, "require_aud": True}


class TokenRefused(Exception):
    """A token failed verification; the message (ASCII) says which check refused it."""


def _header(token: str) -> dict:
    """The token's header, unverified, once its size and nesting are bounded: python-jose's own
    parser recurses without a limit (shared.safe_json)."""
    try:
        return compact_jws(token).header
    except UntrustedInput as exc:
        raise TokenRefused(f"malformed token: {exc}") from exc


async def _decode(portal: PortalClient, settings: SystemSettings, token: str, *, typ: set[str],
                  access_token: str | None = None, require_sub: bool = True) -> dict:
    header = _header(token)
    if "typ" in header and str(header["typ"]).lower() not in typ:
        raise TokenRefused(f"unexpected token type {header['typ']!s:.20}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenRefused("no kid in the header")
    key = await portal.signing_key(kid)
    if key is None:
        raise TokenRefused("unknown signing key")
    algorithm = KEY_ALGORITHMS.get(key.get("kty", ""))
    if algorithm is None or key.get("alg", algorithm) != algorithm or header.get("alg") != algorithm:
        raise TokenRefused("algorithm does not fit the key")
    try:
        return jwt.decode(
            token, key, algorithms=[algorithm], issuer=settings.issuer, audience=settings.client_id,
            access_token=access_token,
            options={**REQUIRED, "require_sub": require_sub, "leeway": settings.clock_skew_seconds},
        )
    except ExpiredSignatureError as exc:
        raise TokenRefused("expired") from exc
    except JWTClaimsError as exc:
        raise TokenRefused(str(exc)) from exc
    except JOSEError as exc:
        raise TokenRefused(str(exc)) from exc  # the signature, or a required claim missing


def _check_iat(claims: dict, settings: SystemSettings) -> None:
    iat = claims["iat"]
    if isinstance(iat, bool) or not isinstance(iat, (int, float)):
        raise TokenRefused("iat is not a number")
    if iat > time.time() + settings.clock_skew_seconds:
        raise TokenRefused("issued in the future")


async def verify_id_token(portal: PortalClient, settings: SystemSettings, token: str, *, nonce: str,
                          access_token: str) -> dict:
    """An ID token from our token request (OIDC Core §3.1.3.7). Returns its claims."""
    claims = await _decode(portal, settings, token, typ={"jwt"}, access_token=access_token)
    _check_iat(claims, settings)
    if isinstance(claims["aud"], list) and claims.get("azp") != settings.client_id:
        raise TokenRefused("azp is not our client_id")
    if not isinstance(claims.get("nonce"), str) or not constant_time_equal(claims["nonce"], nonce):
        raise TokenRefused("nonce does not match the login")
    return claims


async def verify_logout_token(portal: PortalClient, settings: SystemSettings, token: str) -> dict:
    """A logout token (OIDC Back-Channel Logout 1.0 §2.6). Returns its claims."""
    claims = await _decode(portal, settings, token, typ={"logout+jwt"}, require_sub=False)
    _check_iat(claims, settings)
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(LOGOUT_EVENT), dict):
        raise TokenRefused("no back-channel logout event")
    if "nonce" in claims:
        raise TokenRefused("a logout token has no nonce")
    sid, sub = claims.get("sid"), claims.get("sub")
    if sid is None and sub is None:
        raise TokenRefused("neither sid nor sub")
    if not isinstance(sid, (str, type(None))) or not isinstance(sub, (str, type(None))):
        raise TokenRefused("sid and sub are strings")
    return claims


async def verify_portal_request(portal: PortalClient, settings: SystemSettings, token: str, *, action: str,
                                binding_id: str | None = None, sub: str | None = None) -> dict:
    """A portal-signed request to the binding API (shared.binding): typed ``binding+jwt``, the
    same key selection, issuer and audience as an ID token, short-lived, and naming exactly the
    request it authorizes (``action``, and the ``binding_id`` or ``sub`` of the path)."""
    header = _header(token)
    if str(header.get("typ", "")).lower() != PORTAL_REQUEST_TYP:
        raise TokenRefused(f"typ is not {PORTAL_REQUEST_TYP}")
    claims = await _decode(portal, settings, token, typ={PORTAL_REQUEST_TYP}, require_sub=False)
    _check_iat(claims, settings)
    exp = claims["exp"]
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) \
            or exp > time.time() + PORTAL_REQUEST_MAX_SECONDS + settings.clock_skew_seconds \
            or exp - claims["iat"] > PORTAL_REQUEST_MAX_SECONDS:
        raise TokenRefused("lifetime longer than allowed")
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise TokenRefused("no jti")
    if claims.get("action") != action:
        raise TokenRefused("action does not match the request")
    if binding_id is not None and claims.get("binding_id") != binding_id:
        raise TokenRefused("binding_id does not match the request")
    if sub is not None and claims.get("sub") != sub:
        raise TokenRefused("sub does not match the request")
    return claims
