"""The authorization response: back to the client's verified redirect_uri with a code or an
error, ``state`` and ``iss`` (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207), never cached."""
from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import RedirectResponse

from idp.errors import OAuthError
from idp.oidc.authorization_request import RedirectTarget
from idp.portal import Portal


def _redirect_to_client(target: RedirectTarget, params: dict) -> RedirectResponse:
    separator = "&" if "?" in target.redirect_uri else "?"
    response = RedirectResponse(target.redirect_uri + separator + urlencode(params), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def code_redirect(portal: Portal, target: RedirectTarget, code: str) -> RedirectResponse:
    params = {"code": code}
    if target.state is not None:
        params["state"] = target.state
    params["iss"] = portal.settings.issuer  # RFC 9207
    return _redirect_to_client(target, params)


def error_redirect(portal: Portal, target: RedirectTarget, exc: OAuthError) -> RedirectResponse:
    params = exc.body()
    if target.state is not None:
        params["state"] = target.state
    params["iss"] = portal.settings.issuer
    return _redirect_to_client(target, params)
