"""The authorization response's parameters: a code or an error, ``state`` and ``iss``
(RFC 6749 §4.1.2, §4.1.2.1; RFC 9207). How they travel back to the verified redirect_uri (query
or form_post) is the web layer's (idp/web/authorization_response.py)."""
from __future__ import annotations

from idp.errors import OAuthError
from idp.oidc.authorization_request import RedirectTarget


def code_parameters(issuer: str, target: RedirectTarget, code: str) -> dict[str, str]:
    params = {"code": code}
    if target.state is not None:
        params["state"] = target.state
    params["iss"] = issuer  # RFC 9207
    return params


def error_parameters(issuer: str, target: RedirectTarget, exc: OAuthError) -> dict[str, str]:
    params = exc.body()
    if target.state is not None:
        params["state"] = target.state
    params["iss"] = issuer
    return params
