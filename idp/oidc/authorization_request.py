"""Validating an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3).

Checks run in a fixed order. Until the client and its redirect_uri are verified every problem
is a :class:`PageError` (never a redirect); after that, an :class:`OAuthError` that the
endpoint redirects back with ``state`` and ``iss``.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from idp import clock
from idp.clients.registry import ClientInfo
from idp.errors import (
    InvalidRequest,
    PageError,
    RequestNotSupported,
    RequestUriNotSupported,
    UnsupportedResponseType,
)
from idp.keys.store import KeyRing
from idp.oidc.id_token_hint import InvalidIdTokenHint, verify_id_token_hint
from idp.oidc.redirect_uris import is_registered_redirect_uri
from idp.oidc.scopes import ALWAYS_CONSENT, SCOPE_CLAIMS, SUPPORTED_SCOPES
from shared import safe_json

RESPONSE_MODES = (None, "query", "form_post")  # OAuth 2.0 Multiple Response Types; Form Post Response Mode
PROMPTS = {"none", "login", "consent", "select_account"}
PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # used with fullmatch: "$" allows a "\n"
MAX_AGE = re.compile(r"[0-9]+")
MAX_AGE_CAP = 10**10  # over 300 years: any longer max_age means the same
SINGLE_VALUED = {
    "client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "prompt", "max_age",
    "id_token_hint", "login_hint", "ui_locales", "claims_locales", "acr_values", "code_challenge",
    "code_challenge_method", "response_mode", "display", "claims", "request", "request_uri", "dpop_jkt",
}
DPOP_JKT = re.compile(r"[A-Za-z0-9_-]{43}")  # RFC 9449 §10: a base64url SHA-256 JWK thumbprint


@dataclass
class AuthorizationRequest:
    """The validated request, stored in the interaction while the user logs in."""

    client_id: str
    redirect_uri: str
    state: str | None
    scope: list[str]
    nonce: str | None = None
    code_challenge: str | None = None
    prompt: list[str] = field(default_factory=list)
    max_age: int | None = None
    hint_subject: str | None = None
    login_hint: str | None = None
    ui_locales: str | None = None
    claims_locales: str | None = None
    acr_values: list[str] = field(default_factory=list)
    claims: dict | None = None
    response_mode: str = "query"
    dpop_jkt: str | None = None  # RFC 9449 §10: the code is redeemed with a proof of this key only

    def to_json(self) -> dict:
        return asdict(self)

    def consent_scope(self) -> list[str]:
        """The scopes the user is asked about: those requested, plus those whose claims the
        ``claims`` parameter names (OIDC Core §5.5), so naming a claim cannot skip consent.
        An always-consent scope counts only when requested: its claims are withheld otherwise."""
        named: set[str] = set()
        for target in ("userinfo", "id_token"):
            named.update((self.claims or {}).get(target) or {})
        scope = list(self.scope)
        for value, claims in SCOPE_CLAIMS.items():
            if value not in scope and value not in ALWAYS_CONSENT and named.intersection(claims):
                scope.append(value)
        return scope

    @classmethod
    def from_json(cls, data: dict) -> AuthorizationRequest:
        return cls(**data)


@dataclass
class RedirectTarget:
    """Where errors may go once the client and redirect_uri are verified."""

    redirect_uri: str
    state: str | None
    response_mode: str = "query"  # or "form_post": how the answer, an error too, goes back


def collect_parameters(items: list[tuple[str, str]]) -> tuple[dict[str, str], set[str]]:
    """Flatten query or form items. Empty values count as omitted (RFC 6749 §3.1); names
    given twice are reported so the endpoint can reject them once it may redirect."""
    params: dict[str, str] = {}
    duplicated: set[str] = set()
    for name, value in items:
        if value == "":
            continue
        if name in params:
            duplicated.add(name)
        params[name] = value
    return params, duplicated & SINGLE_VALUED


def verify_client_and_redirect(
    params: dict[str, str], duplicated: set[str], client: ClientInfo | None
) -> RedirectTarget:
    if "client_id" in duplicated or "redirect_uri" in duplicated:
        raise PageError("request.duplicated", detail="duplicated client_id or redirect_uri")
    if not params.get("client_id"):
        raise PageError("request.no_client_id", detail="missing client_id")
    if client is None:
        raise PageError("request.unknown_client", detail="unknown client_id")
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None:
        if len(client.redirect_uris) != 1:
            raise PageError("request.no_redirect_uri", detail="missing redirect_uri")
        redirect_uri = client.redirect_uris[0]
    elif not is_registered_redirect_uri(client, redirect_uri):  # exact, but a native app's loopback port
        raise PageError("request.redirect_uri_mismatch", detail="redirect_uri is not registered")
    # An unknown response_mode is refused later, by the default mode (query).
    mode = "form_post" if params.get("response_mode") == "form_post" else "query"
    return RedirectTarget(redirect_uri=redirect_uri, state=params.get("state"), response_mode=mode)


async def validate(
    params: dict[str, str], duplicated: set[str], client: ClientInfo, target: RedirectTarget, keys: KeyRing,
    issuer: str,
) -> AuthorizationRequest:
    if duplicated:
        raise InvalidRequest("duplicated parameter: " + ", ".join(sorted(duplicated)))
    _check_response_type(params)
    _check_unsupported_features(params)
    challenge = _check_pkce(params, client)
    return AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=target.redirect_uri,
        state=params.get("state"),
        scope=_filter_scope(params, client),
        nonce=params.get("nonce"),
        code_challenge=challenge,
        prompt=_parse_prompt(params),
        max_age=_parse_max_age(params),
        hint_subject=_hint_subject(params, client, keys, issuer),
        login_hint=params.get("login_hint"),
        ui_locales=params.get("ui_locales"),
        claims_locales=params.get("claims_locales"),
        acr_values=params.get("acr_values", "").split(),
        claims=_parse_claims(params),
        response_mode=target.response_mode,
        dpop_jkt=_dpop_jkt(params),
    )


def _check_response_type(params: dict[str, str]) -> None:
    response_type = params.get("response_type")
    if response_type is None:
        raise InvalidRequest("missing required parameter response_type")
    if response_type != "code":
        raise UnsupportedResponseType("only response_type=code is supported")
    if params.get("response_mode") not in RESPONSE_MODES:
        raise InvalidRequest("only response_mode=query or form_post is supported")


def _check_unsupported_features(params: dict[str, str]) -> None:
    # OIDC Core §6: a provider without request objects must say so, not ignore them.
    if "request" in params:
        raise RequestNotSupported("request objects are not supported")
    if "request_uri" in params:
        raise RequestUriNotSupported("request_uri is not supported")


def _check_pkce(params: dict[str, str], client: ClientInfo) -> str | None:
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise InvalidRequest("code_challenge_method without code_challenge")
        if client.require_pkce or client.is_public:
            raise InvalidRequest("PKCE with S256 is required for this client")
        return None
    # Only S256: a missing method would mean plain (RFC 7636 §4.3), which exposes the verifier.
    if method != "S256":
        raise InvalidRequest("code_challenge_method must be S256")
    if not PKCE_CHALLENGE.fullmatch(challenge):
        raise InvalidRequest("malformed code_challenge")
    return challenge


def _filter_scope(params: dict[str, str], client: ClientInfo) -> list[str]:
    """Unknown or unregistered scopes are dropped, as RFC 6749 §3.3 allows; order is kept."""
    allowed = set(client.scopes) if client.scopes else SUPPORTED_SCOPES
    scope: list[str] = []
    for value in params.get("scope", "").split():
        if value in SUPPORTED_SCOPES and value in allowed and value not in scope:
            scope.append(value)
    return scope


def _parse_prompt(params: dict[str, str]) -> list[str]:
    prompt = params.get("prompt", "").split()
    unknown = set(prompt) - PROMPTS
    if unknown:
        raise InvalidRequest("unsupported prompt value")
    if "none" in prompt and len(prompt) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other values")
    return prompt


def _parse_max_age(params: dict[str, str]) -> int | None:
    raw = params.get("max_age")
    if raw is None:
        return None
    # ASCII digits only: str.isdigit() also accepts characters int() refuses, such as "²".
    if not MAX_AGE.fullmatch(raw):
        raise InvalidRequest("max_age must be a non-negative integer")
    digits = raw.lstrip("0") or "0"
    return int(digits) if len(digits) <= 10 else MAX_AGE_CAP


def _hint_subject(params: dict[str, str], client: ClientInfo, keys: KeyRing, issuer: str) -> str | None:
    """OIDC Core §3.1.2.1: an ID token we issued to this client, expired or not."""
    hint = params.get("id_token_hint")
    if hint is None:
        return None
    try:
        verified = verify_id_token_hint(keys, issuer, hint, clock.epoch(clock.now()))
    except InvalidIdTokenHint:
        raise InvalidRequest("id_token_hint is not a valid ID token of this provider") from None
    if not verified.issued_to(client.client_id):
        raise InvalidRequest("id_token_hint was issued to another client")
    return verified.subject


def _dpop_jkt(params: dict[str, str]) -> str | None:
    value = params.get("dpop_jkt")
    if value is not None and not DPOP_JKT.fullmatch(value):
        raise InvalidRequest("dpop_jkt must be a base64url SHA-256 JWK thumbprint")
    return value


def _parse_claims(params: dict[str, str]) -> dict | None:
    raw = params.get("claims")
    if raw is None:
        return None
    try:
        value = safe_json.loads(raw)  # bounded: deep nesting would exhaust the decoder's stack
    except safe_json.UntrustedInput:
        raise InvalidRequest("claims is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidRequest("claims must be a JSON object")
    return {k: v for k, v in value.items() if k in ("userinfo", "id_token") and isinstance(v, dict)}

