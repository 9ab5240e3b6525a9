"""Talking to the portal over HTTP: discovery, the JWKS, the token and UserInfo endpoints.

Discovery and the JWKS are cached in memory (the only cache here; a restart refetches them).
The JWKS is refetched when older than ``jwks_cache_seconds``, and once on a kid it does not
hold (the portal published a new key), at most every ``jwks_refetch_seconds`` so that tokens
with made-up kids cannot make us hammer the portal.
"""
from __future__ import annotations

import time
from urllib.parse import quote, urlencode

import httpx

from mock_systems.common.settings import SystemSettings
from shared import safe_json
from shared.binding import PORTAL_NOTICES


class PortalError(Exception):
    """The portal could not be reached or answered something unusable (detail: ASCII)."""


class PortalClient:
    def __init__(self, settings: SystemSettings, http: httpx.AsyncClient):
        self.settings = settings
        self.http = http
        self._metadata: dict | None = None
        self._jwks: dict | None = None
        self._jwks_fetched_at = float("-inf")

    async def _get_json(self, url: str, **kwargs) -> dict:
        try:
            response = await self.http.get(url, timeout=self.settings.http_timeout_seconds, **kwargs)
        except httpx.HTTPError as exc:
            raise PortalError(f"{url}: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise PortalError(f"{url}: HTTP {response.status_code}")
        try:
            return safe_json.loads_object(response.content)
        except safe_json.UntrustedInput as exc:
            raise PortalError(f"{url}: {exc}") from exc

    async def metadata(self) -> dict:
        """OIDC Discovery §4; the issuer in the document must be ours byte for byte (§4.3)."""
        if self._metadata is None:
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            metadata = await self._get_json(url)
            if metadata.get("issuer") != self.settings.issuer:
                raise PortalError("the discovery document names another issuer")
            self._metadata = metadata
        return self._metadata

    async def endpoint(self, name: str) -> str:
        value = (await self.metadata()).get(name)
        if not isinstance(value, str) or not value:
            raise PortalError(f"the portal advertises no {name}")
        return value

    async def signing_key(self, kid: str) -> dict | None:
        """The JWK with this kid, refetching the JWKS once if it is stale or lacks the kid."""
        now = time.monotonic()
        if self._jwks is None or now - self._jwks_fetched_at > self.settings.jwks_cache_seconds:
            await self._fetch_jwks()
        key = self._find(kid)
        if key is None and time.monotonic() - self._jwks_fetched_at >= self.settings.jwks_refetch_seconds:
            await self._fetch_jwks()
            key = self._find(kid)
        return key

    async def _fetch_jwks(self) -> None:
        jwks = await self._get_json(await self.endpoint("jwks_uri"))
        if not isinstance(jwks.get("keys"), list):
            raise PortalError("the JWKS has no keys")
        self._jwks, self._jwks_fetched_at = jwks, time.monotonic()

    def _find(self, kid: str) -> dict | None:
        matches = [k for k in (self._jwks or {}).get("keys", []) if isinstance(k, dict) and k.get("kid") == kid]
        return matches[0] if len(matches) == 1 else None  # an ambiguous kid selects nothing

    async def authorization_url(self, **params: str) -> str:
        return await self.endpoint("authorization_endpoint") + "?" + urlencode(params)

    async def redeem_code(self, code: str, code_verifier: str) -> dict:
        """The token request (RFC 6749 §4.1.3) with client_secret_basic: client id and secret
        form-encoded before Base64 (§2.3.1)."""
        auth = self._basic_auth()
        data = {"grant_type": "authorization_code", "code": code, "code_verifier": code_verifier,
                "redirect_uri": self.settings.endpoint("/auth/callback")}
        url = await self.endpoint("token_endpoint")
        try:
            response = await self.http.post(url, data=data, auth=auth, timeout=self.settings.http_timeout_seconds)
        except httpx.HTTPError as exc:
            raise PortalError(f"token endpoint: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            error = _error_code(response)
            raise PortalError(f"token endpoint: HTTP {response.status_code} {error}".strip())
        try:
            tokens = safe_json.loads_object(response.content)
        except safe_json.UntrustedInput as exc:
            raise PortalError(f"token endpoint: {exc}") from exc
        if str(tokens.get("token_type", "")).lower() != "bearer" or not tokens.get("access_token") \
                or not tokens.get("id_token"):
            raise PortalError("token endpoint: no bearer access token and ID token")
        return tokens

    def _basic_auth(self) -> tuple[str, str]:
        """client_secret_basic: client id and secret form-encoded before Base64 (RFC 6749 §2.3.1)."""
        return quote(self.settings.client_id, safe=""), quote(self.settings.secret(), safe="")

    def binding_url(self, path: str, binding_id: str) -> str:
        """A portal endpoint of the binding contract (shared.binding), under the issuer."""
        return self.settings.issuer.rstrip("/") + path.format(binding_id=quote(binding_id, safe=""))

    async def binding_intent(self, path: str, binding_id: str) -> dict:
        """GET PORTAL_INTENT with our client credentials (docs/binding-protocol.md, Bind)."""
        return await self._get_json(self.binding_url(path, binding_id), auth=self._basic_auth())

    async def post_binding(self, path: str, binding_id: str, body: dict) -> httpx.Response:
        """POST one of our calls (confirm, refused, ended) with our client credentials."""
        try:
            return await self.http.post(self.binding_url(path, binding_id), json=body, auth=self._basic_auth(),
                                        timeout=self.settings.http_timeout_seconds)
        except httpx.HTTPError as exc:
            raise PortalError(f"{path}: {exc.__class__.__name__}") from exc

    async def post_notice(self, sub: str, title: str, body: str) -> httpx.Response:
        """POST PORTAL_NOTICES: a note in 我的消息 of the portal user bound to us as ``sub``."""
        url = self.settings.issuer.rstrip("/") + PORTAL_NOTICES
        try:
            return await self.http.post(url, json={"sub": sub, "title": title, "body": body}, auth=self._basic_auth(),
                                        timeout=self.settings.http_timeout_seconds)
        except httpx.HTTPError as exc:
            raise PortalError(f"{PORTAL_NOTICES}: {exc.__class__.__name__}") from exc

    async def userinfo(self, access_token: str) -> dict:
        return await self._get_json(await self.endpoint("userinfo_endpoint"),
                                    headers={"Authorization": f"Bearer {access_token}"})

    async def end_session_form(self, id_token: str | None) -> tuple[str, dict[str, str]] | None:
        """RP-initiated logout (OIDC RP-Initiated Logout §2), back to our home page: the
        end_session_endpoint and the fields the browser posts there. POST, as §2 allows, so
        the ID token is never part of a URL (access logs, browser history, Referer)."""
        url = (await self.metadata()).get("end_session_endpoint")
        if not url or not id_token:
            return None
        return url, {"id_token_hint": id_token, "post_logout_redirect_uri": self.settings.endpoint("/"),
                     "client_id": self.settings.client_id}


def _error_code(response: httpx.Response) -> str:
    try:
        error = safe_json.loads_object(response.content).get("error", "")
    except safe_json.UntrustedInput:
        return ""
    return error if isinstance(error, str) and error.isascii() and error.isprintable() else ""
