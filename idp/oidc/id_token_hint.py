"""The ``id_token_hint`` of /authorize and /logout: an ID token this provider issued.

One check for both endpoints (OIDC Core §3.1.2.1; RP-Initiated Logout 1.0 §2): signed with
our keys, ``typ`` JWT, our issuer, and claims that only an ID token has. An RFC 9068 access
token (``at+jwt``) or a logout token (``logout+jwt``) is signed with the same keys and names
the same user and session; anyone holding one (any resource server) must not be able to pass
it off as an ID token. An expired hint is still a hint (both specifications allow it): the
caller decides what an expired one may still do.
"""
from __future__ import annotations

from dataclasses import dataclass

from idp.keys import jws
from idp.keys.store import KeyRing

# Claims an ID token never carries: RFC 9068 §2.2 (access tokens) and Back-Channel Logout §2.4.
NOT_IN_AN_ID_TOKEN = ("client_id", "scope", "events")


class InvalidIdTokenHint(Exception):
    """Not an ID token of this provider; the message says why (for the logs, not the user)."""


@dataclass(frozen=True)
class IdTokenHint:
    claims: dict
    expired: bool

    @property
    def subject(self) -> str:
        return self.claims["sub"]

    @property
    def sid(self) -> str | None:
        return self.claims.get("sid")

    @property
    def client_id(self) -> str | None:
        """The client it was issued to: ``azp``, or the single audience (OIDC Core §2)."""
        aud = self.claims["aud"]
        if isinstance(aud, list):
            return self.claims.get("azp") or (aud[0] if len(aud) == 1 else None)
        return aud

    def issued_to(self, client_id: str) -> bool:
        aud = self.claims["aud"]
        return client_id in (aud if isinstance(aud, list) else [aud])


def verify_id_token_hint(keys: KeyRing, issuer: str, hint: str, now: int) -> IdTokenHint:
    """The hint's claims once it proves to be our ID token; ``now`` (epoch seconds) dates it."""
    try:
        # typ JWT: an access token (at+jwt) or logout token we signed is no ID token.
        _, claims = jws.verify(keys, hint, typ="jwt")
    except jws.BadSignature as exc:
        raise InvalidIdTokenHint(f"not signed by this provider as an ID token: {exc}") from exc
    return IdTokenHint(claims, expired=_check_id_token_claims(claims, issuer) <= now)


def _check_id_token_claims(claims: dict, issuer: str) -> int:
    """OIDC Core §2's required claims, typed; returns ``exp``."""
    if claims.get("iss") != issuer:
        raise InvalidIdTokenHint("issued by another issuer")
    if any(name in claims for name in NOT_IN_AN_ID_TOKEN):
        raise InvalidIdTokenHint("an access or logout token, not an ID token")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidIdTokenHint("no sub")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if not audiences or not all(isinstance(a, str) and a for a in audiences):
        raise InvalidIdTokenHint("no aud")
    exp = claims.get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise InvalidIdTokenHint("no exp")
    return exp
