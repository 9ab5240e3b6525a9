"""Every protocol error the provider raises, in one place.

An :class:`OAuthError` is rendered either as a JSON body (token, introspection, revocation,
userinfo) or as a redirect back to a *verified* redirect_uri (authorization endpoint).
What the user is told instead is a :class:`shared.refusals.Refusal` (:class:`PageError`,
:class:`DomainError`): a message id of the one catalogue, never a protocol error.

Descriptions are printable ASCII without quote or backslash (RFC 6749 §4.1.2.1, §5.2).
"""
from __future__ import annotations

from shared.refusals import Refusal


class OAuthError(Exception):
    error = "server_error"
    status_code = 400

    def __init__(self, description: str = "", *, status_code: int | None = None, headers: dict | None = None):
        super().__init__(description or self.error)
        self.description = description
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers or {}

    def body(self) -> dict:
        out = {"error": self.error}
        if self.description:
            out["error_description"] = self.description
        return out


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    """RFC 6749 §5.2: 401 with a WWW-Authenticate challenge."""

    error = "invalid_client"
    status_code = 401

    def __init__(self, description: str = "client authentication failed", **kwargs):
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Basic realm="zwfw", error="invalid_client"'})
        super().__init__(description, **kwargs)


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class UnsupportedTokenType(OAuthError):
    error = "unsupported_token_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class AccessDenied(OAuthError):
    error = "access_denied"


class LoginRequired(OAuthError):
    error = "login_required"


class UnmetAuthenticationRequirements(OAuthError):
    """OpenID Connect Core Error Code unmet_authentication_requirements 1.0: the account cannot
    reach the acr the client asked for."""
    error = "unmet_authentication_requirements"


class ConsentRequired(OAuthError):
    error = "consent_required"


class InteractionRequired(OAuthError):
    error = "interaction_required"


class AccountSelectionRequired(OAuthError):
    error = "account_selection_required"


class RequestNotSupported(OAuthError):
    error = "request_not_supported"


class RequestUriNotSupported(OAuthError):
    error = "request_uri_not_supported"


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: bearer-token errors carry their own challenge."""

    error = "invalid_token"
    status_code = 401

    def __init__(self, description: str = "the access token is invalid", **kwargs):
        challenge = f'Bearer realm="zwfw", error="invalid_token", error_description="{description}"'
        kwargs.setdefault("headers", {"WWW-Authenticate": challenge})
        super().__init__(description, **kwargs)


class InvalidDpopProof(OAuthError):
    """RFC 9449 §5 (token endpoint, 400) and §7.1 (a protected resource: 401 with a DPoP challenge)."""

    error = "invalid_dpop_proof"


class UseDpopNonce(OAuthError):
    """RFC 9449 §8: the proof must carry the server's nonce, given in the ``DPoP-Nonce`` header."""

    error = "use_dpop_nonce"


class InsufficientScope(OAuthError):
    error = "insufficient_scope"
    status_code = 403


class PageError(Refusal):
    """A refusal shown as a page of its own, never redirected (RFC 9700 §4.11.2): the app's handler
    renders every uncaught :class:`Refusal` so, with ``message_id`` from :mod:`shared.messages`."""


class DomainError(Refusal):
    """A rule of the portal refused a state change (ZITADEL style: coded, checked first); the
    page usually shows ``text()`` on the same form."""
