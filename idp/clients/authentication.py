"""Client authentication at the token, introspection and revocation endpoints.

RFC 6749 §2.3.1 (client_secret_basic, client_secret_post), RFC 7523 §2.2 / OIDC Core §9
(private_key_jwt). A client may use only the method it registered.
"""
from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import unquote

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError

from idp import clock
from idp.clients.models import ClientAssertionJti
from idp.clients.registry import CLIENT_ID_MAX, ClientInfo
from idp.errors import InvalidClient, InvalidRequest
from idp.portal import Portal
from idp.security.tokens import digests_match
from shared.safe_json import compact_jws

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGS = ["RS256", "ES256", "PS256"]
ASSERTION_MAX_LIFETIME = dt.timedelta(minutes=10)
CLOCK_LEEWAY = 30  # seconds of clock difference tolerated between a client and us


class ClientAuthFailed(InvalidClient):
    """Carries the presented client_id, for the audit log."""

    def __init__(self, client_id: str | None, reason: str):
        super().__init__()
        # The presented id is attacker-chosen: cut it to what the audit column holds.
        self.client_id = client_id[:CLIENT_ID_MAX] if client_id else None
        self.reason = reason


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True).decode()
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text where base64 goes
        raise ClientAuthFailed(None, "malformed basic credentials") from None
    client_id, sep, secret = raw.partition(":")
    if not sep:
        raise ClientAuthFailed(None, "malformed basic credentials")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


async def authenticate_client(portal: Portal, headers, form: dict[str, str], endpoint_url: str) -> ClientInfo:
    basic = _basic_credentials(headers.get("authorization"))
    methods = [
        name
        for name, present in (
            ("client_secret_basic", basic is not None),
            ("client_secret_post", "client_secret" in form),
            ("private_key_jwt", "client_assertion" in form),
        )
        if present
    ]
    if len(methods) > 1:
        raise InvalidRequest("more than one client authentication method was used")
    method = methods[0] if methods else "none"

    if method == "client_secret_basic":
        assert basic is not None  # the method is chosen by its presence
        client_id, secret = basic
        if form.get("client_id") not in (None, client_id):
            raise InvalidRequest("client_id does not match the authorization header")
    elif method == "private_key_jwt":
        client_id = await _assertion_client_id(form)
    else:
        client_id = form.get("client_id", "")
        secret = form.get("client_secret", "")

    client = await portal.client(client_id) if client_id else None
    if client is None:
        raise ClientAuthFailed(client_id or None, "unknown client")
    if client.token_endpoint_auth_method != method:
        raise ClientAuthFailed(client_id, f"client must authenticate with {client.token_endpoint_auth_method}")
    if method in ("client_secret_basic", "client_secret_post"):
        if not digests_match(secret, client.secret_digest):
            raise ClientAuthFailed(client_id, "wrong client secret")
    elif method == "private_key_jwt":
        await _verify_assertion(portal, client, form["client_assertion"], endpoint_url)
    return client


async def _assertion_client_id(form: dict[str, str]) -> str:
    if form.get("client_assertion_type") != JWT_BEARER:
        raise InvalidRequest("unsupported client_assertion_type")
    try:
        # Bounded (shared.safe_json) before anything, joserfc included, parses the assertion.
        return str(compact_jws(form["client_assertion"]).payload["sub"])
    except (KeyError, ValueError):
        raise ClientAuthFailed(None, "malformed client assertion") from None


async def _verify_assertion(portal: Portal, client: ClientInfo, assertion: str, endpoint_url: str) -> None:
    if not client.jwks:
        raise ClientAuthFailed(client.client_id, "client has no registered keys")
    try:
        keys = KeySet.import_key_set(client.jwks)  # type: ignore[arg-type]  # a JWKS, checked at registration
        token = jwt.decode(assertion, keys, algorithms=ASSERTION_ALGS)
    except (JoseError, ValueError) as exc:
        raise ClientAuthFailed(client.client_id, f"assertion signature: {exc.__class__.__name__}") from exc
    claims = token.claims
    now = clock.epoch(clock.now())
    audience = claims.get("aud")
    # Only strings can name us; anything else (an object in the list) is simply not a match.
    audiences = [a for a in (audience if isinstance(audience, list) else [audience]) if isinstance(a, str)]
    allowed_audiences = {portal.settings.issuer, portal.settings.endpoint("/token"), endpoint_url}
    exp, nbf = claims.get("exp"), claims.get("nbf")
    problems = [
        claims.get("iss") != client.client_id and "iss",
        claims.get("sub") != client.client_id and "sub",
        not allowed_audiences.intersection(audiences) and "aud",
        not isinstance(exp, int) and "exp",
        isinstance(exp, int) and exp < now - CLOCK_LEEWAY and "expired",
        isinstance(exp, int) and exp > now + ASSERTION_MAX_LIFETIME.total_seconds() and "too long-lived",
        # RFC 7523 §3 item 5: an nbf, when present, is honoured.
        nbf is not None and not (isinstance(nbf, int) and nbf <= now + CLOCK_LEEWAY) and "not yet valid",
        not claims.get("jti") and "jti",
    ]
    failed = [p for p in problems if isinstance(p, str)]  # each check is False or the claim's name
    if failed:
        raise ClientAuthFailed(client.client_id, "assertion claims: " + ", ".join(failed))
    await _remember_jti(portal, client.client_id, str(claims["jti"]), claims["exp"])


async def _remember_jti(portal: Portal, client_id: str, jti: str, exp: int) -> None:
    """A jti is accepted once (RFC 7523 §3 item 7): the primary key makes it atomic. It is
    kept until the assertion is refused as expired anyway, leeway included."""
    expires = dt.datetime.fromtimestamp(exp + CLOCK_LEEWAY, dt.UTC)
    try:
        async with portal.sessionmaker.begin() as db:
            db.add(ClientAssertionJti(client_id=client_id, jti=jti[:255], expires_at=expires))
    except IntegrityError:
        raise ClientAuthFailed(client_id, "assertion replayed") from None
