"""Sending the authorization response to the client's verified redirect_uri, never cached:
with ``response_mode=query`` a 303 redirect with the parameters in the query; with
``response_mode=form_post`` (OAuth 2.0 Form Post Response Mode) a page whose form POSTs them there.
The page submits itself through /static/autosubmit.js (the Content-Security-Policy allows no inline
script) and shows a button when JavaScript is off."""
from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import RedirectResponse, Response

from idp.errors import OAuthError
from idp.oidc.authorization_request import RedirectTarget
from idp.oidc.redirects import code_parameters, error_parameters
from idp.portal import Portal
from idp.web.pages import render


def _answer(target: RedirectTarget, params: dict[str, str]) -> Response:
    if target.response_mode == "form_post":
        return render("form_post.html", action=target.redirect_uri, fields=params)
    separator = "&" if "?" in target.redirect_uri else "?"
    response = RedirectResponse(target.redirect_uri + separator + urlencode(params), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def code_redirect(portal: Portal, target: RedirectTarget, code: str) -> Response:
    return _answer(target, code_parameters(portal.settings.issuer, target, code))


def error_redirect(portal: Portal, target: RedirectTarget, exc: OAuthError) -> Response:
    return _answer(target, error_parameters(portal.settings.issuer, target, exc))
