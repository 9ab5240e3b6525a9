"""The portal as the upstream's relying party (OIDC Core §3.1, the authorization code flow), with
Authlib's OAuth client for the protocol and joserfc for the ID token: nothing hand-written but the
checks the specifications ask of a relying party.

- Discovery (OIDC Discovery §4), fetched per login: the upstream's keys and endpoints as they are now.
- PKCE S256 (RFC 7636 §4.2), ``state`` and ``nonce`` (OIDC Core §3.1.2.1) on the way out.
- On the way back: ``iss`` equals the upstream's issuer (RFC 9207 §2.4), the code is redeemed with
  the verifier, and the ID token is checked (OIDC Core §3.1.3.7): signature against the upstream's
  JWKS, ``iss``, ``aud``, ``exp``, ``iat`` and ``nonce``; UserInfo's ``sub`` must be the token's (§5.3.2).

Every failure is an :class:`UpstreamError` naming a message of the catalogue; nothing here writes.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.errors import PageError
from idp.settings import Settings
from shared.safe_json import UntrustedInput, compact_jws, loads_object

CALLBACK_PATH = "/upstream/callback"
SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256"]
LEEWAY_SECONDS = 60


class UpstreamError(PageError):
    """The upstream login failed; the page says why in Chinese, the detail is for operators."""


def unavailable(detail: str) -> UpstreamError:
    return UpstreamError("upstream.unavailable", status_code=503, detail=detail)


def refused(detail: str) -> UpstreamError:
    return UpstreamError("upstream.verification_failed", status_code=400, detail=detail)


@dataclass(frozen=True)
class Upstream:
    """What discovery says of the upstream."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    iss_parameter_supported: bool  # RFC 9207 §3: authorization_response_iss_parameter_supported


@dataclass(frozen=True)
class Identity:
    """The upstream's verified answer: who (``sub``), how (``amr``) and what it vouches for."""

    upstream: str
    subject: str
    amr: list[str]
    claims: dict
    id_token: str  # verified; kept as the id_token_hint of the logout sent upstream


def oauth_client(settings: Settings, **kwargs) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.upstream_client_id, client_secret=settings.upstream_client_secret.get_secret_value(),
        scope=settings.upstream_scopes, redirect_uri=settings.endpoint(CALLBACK_PATH),
        code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic",
        timeout=settings.upstream_timeout_seconds, **kwargs)


async def _get_json(client: AsyncOAuth2Client, url: str, *, bearer: bool = False) -> dict:
    """A JSON object from the upstream; ``bearer``: with the access token (UserInfo)."""
    try:
        response = await client.request("GET", url, withhold_token=not bearer)
    except httpx.HTTPError as exc:
        raise unavailable(f"GET {url}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise unavailable(f"GET {url}: HTTP {response.status_code}")
    try:
        return loads_object(response.content)
    except UntrustedInput:
        raise unavailable(f"GET {url}: not a JSON object") from None


async def discover(settings: Settings) -> Upstream:
    async with oauth_client(settings) as client:
        document = await _get_json(client, settings.upstream_discovery_url)
    try:
        upstream = Upstream(
            issuer=str(document["issuer"]), authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]), userinfo_endpoint=str(document["userinfo_endpoint"]),
            jwks_uri=str(document["jwks_uri"]), end_session_endpoint=document.get("end_session_endpoint"),
            iss_parameter_supported=document.get("authorization_response_iss_parameter_supported") is True,
        )
    except KeyError as exc:
        raise unavailable(f"discovery document without {exc}") from None
    # OIDC Discovery §4.3: the issuer is exactly the URL its document was fetched under.
    if settings.upstream_discovery_url != upstream.issuer.rstrip("/") + "/.well-known/openid-configuration":
        raise unavailable(f"discovery document's issuer {upstream.issuer!r} is not the one it was fetched from")
    return upstream


def authorization_url(settings: Settings, upstream: Upstream, *, state: str, nonce: str, code_verifier: str) -> str:
    """The authorization request (OIDC Core §3.1.2.1) with the S256 challenge of ``code_verifier``."""
    client = oauth_client(settings)
    url, _ = client.create_authorization_url(upstream.authorization_endpoint, state=state, nonce=nonce,
                                             code_verifier=code_verifier)
    return url


def check_iss(upstream: Upstream, iss: str | None) -> None:
    """RFC 9207 §2.4: an ``iss`` in the response must be the upstream's issuer; a response without
    one is refused from an upstream that says it sends one (a mix-up: another provider answered)."""
    if iss is None and not upstream.iss_parameter_supported:
        return
    if iss != upstream.issuer:
        raise refused(f"iss {iss!r} is not the upstream's issuer")


def challenge_of(code_verifier: str) -> str:
    """The S256 challenge (RFC 7636 §4.2), for tests to compare with what was sent."""
    return create_s256_code_challenge(code_verifier)


def _at_hash_matches(id_claims: dict, access_token: str) -> bool:
    """OIDC Core §3.1.3.8: when the ID token carries at_hash, it is the left half of SHA-256."""
    if "at_hash" not in id_claims:
        return True
    half = hashlib.sha256(access_token.encode()).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode() == id_claims["at_hash"]


def verify_id_token(settings: Settings, upstream: Upstream, jwks: dict, id_token: str, nonce: str) -> dict:
    """OIDC Core §3.1.3.7, steps 2–11: the claims of a token signed by one of the upstream's keys,
    issued by it for us, unexpired, with our nonce."""
    try:
        compact_jws(id_token)  # bounded before joserfc parses the header
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]  # the upstream's JSON, checked by joserfc
        token = jwt.decode(id_token, keys, algorithms=SIGNING_ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS, iss={"essential": True, "value": upstream.issuer},
            aud={"essential": True, "value": settings.upstream_client_id}, exp={"essential": True},
            iat={"essential": True}, sub={"essential": True}, nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, UntrustedInput, ValueError) as exc:
        raise refused(f"ID token refused: {type(exc).__name__}: {exc}") from None
    audience = token.claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and token.claims.get("azp") != settings.upstream_client_id:
        raise refused("ID token for several audiences without our azp")
    return token.claims


async def redeem(settings: Settings, upstream: Upstream, *, code: str, code_verifier: str, nonce: str) -> Identity:
    """The code for tokens (OIDC Core §3.1.3), the ID token checked, then UserInfo (§5.3)."""
    async with oauth_client(settings) as client:
        try:
            token = await client.fetch_token(upstream.token_endpoint, grant_type="authorization_code", code=code,
                                             code_verifier=code_verifier)
        except httpx.HTTPError as exc:
            raise unavailable(f"token endpoint: {type(exc).__name__}") from None
        except Exception as exc:  # Authlib raises its OAuthError (and others) for an error answer
            raise refused(f"token endpoint refused the code: {type(exc).__name__}: {exc}") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise refused("no ID token in the token response")
        jwks = await _get_json(client, upstream.jwks_uri)
        claims = verify_id_token(settings, upstream, jwks, id_token, nonce)
        if not _at_hash_matches(claims, str(token.get("access_token", ""))):
            raise refused("at_hash does not match the access token")
        userinfo = await _get_json(client, upstream.userinfo_endpoint, bearer=True)
    if userinfo.get("sub") != claims["sub"]:
        raise refused("UserInfo sub differs from the ID token's")
    amr = claims.get("amr")
    return Identity(upstream=upstream.issuer, subject=str(claims["sub"]),
                    amr=[str(value) for value in amr][:5] if isinstance(amr, list) else [], claims=userinfo,
                    id_token=id_token)
