"""A business system (relying party) the browser can visit: a tiny Starlette app on a loopback
port, served by uvicorn on the test's event loop.

It does what an integrator's system does with Authlib's client and no code of the portal:
``/login`` sends the browser to the portal's authorization endpoint (code flow, PKCE S256, state
and nonce), ``/cb`` redeems the code at the token endpoint, checks the ID token against the
portal's JWKS (issuer, audience, nonce) and reads UserInfo, then shows who logged in. With
``response_mode="form_post"`` the answer arrives at ``/cb`` as a POST.
"""
from __future__ import annotations

import asyncio
import contextlib
import html
import secrets
from dataclasses import dataclass, field

import httpx
import uvicorn
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

from tests.support.live import LiveClient


@dataclass
class SignedIn:
    """What the relying party learned from one completed login."""

    state: str
    id_token_claims: dict
    userinfo: dict


@dataclass
class RelyingParty:
    issuer: str
    client: LiveClient | None = None
    scope: str = "openid profile"
    response_mode: str | None = None  # form_post: the portal POSTs the answer to /cb
    logins: list[SignedIn] = field(default_factory=list)
    _pending: dict[str, tuple[str, str]] = field(default_factory=dict)  # state -> (verifier, nonce)

    def oauth(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(client_id=self.client.client_id, client_secret=self.client.client_secret,
                                 redirect_uri=self.client.redirect_uri, scope=self.scope,
                                 code_challenge_method="S256", timeout=10.0)

    async def metadata(self) -> dict:
        return await fetch_json(f"{self.issuer}/.well-known/openid-configuration")

    async def home(self, _request: Request) -> HTMLResponse:
        return page("测试业务系统", '<a id="login" href="/login">使用政务服务门户登录</a>')

    async def login(self, _request: Request) -> RedirectResponse:
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
        endpoint = (await self.metadata())["authorization_endpoint"]
        async with self.oauth() as oauth:
            extra = {"response_mode": self.response_mode} if self.response_mode else {}
            url, state = oauth.create_authorization_url(endpoint, code_verifier=verifier, nonce=nonce, **extra)
        self._pending[state] = (verifier, nonce)
        return RedirectResponse(url, status_code=302)

    async def callback(self, request: Request) -> HTMLResponse:
        params = await request.form() if request.method == "POST" else request.query_params
        if "error" in params:
            return page("登录失败", f'<p id="error">{html.escape(params["error"])}</p>', status_code=400)
        verifier, nonce = self._pending.pop(params.get("state", ""), (None, None))
        if verifier is None or params.get("iss") != self.issuer:
            return page("登录失败", '<p id="error">state or iss mismatch</p>', status_code=400)
        metadata = await self.metadata()
        async with self.oauth() as oauth:
            token = await oauth.fetch_token(metadata["token_endpoint"], code=params["code"], code_verifier=verifier)
            keys = KeySet.import_key_set(await fetch_json(metadata["jwks_uri"]))
            claims = jwt.decode(token["id_token"], keys, algorithms=["RS256", "ES256"]).claims
            jwt.JWTClaimsRegistry(iss={"essential": True, "value": self.issuer},
                                  aud={"essential": True, "value": self.client.client_id},
                                  nonce={"essential": True, "value": nonce}, exp={"essential": True}).validate(claims)
            userinfo = (await oauth.get(metadata["userinfo_endpoint"])).raise_for_status().json()
        self.logins.append(SignedIn(params["state"], claims, userinfo))
        return page("测试业务系统", f'<p id="signed-in">已登录：{html.escape(userinfo.get("name", ""))}</p>'
                                   f'<p id="subject">{html.escape(claims["sub"])}</p>')

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/", self.home), Route("/login", self.login),
                                 Route("/cb", self.callback, methods=["GET", "POST"])])


async def fetch_json(url: str) -> dict:
    async with httpx.AsyncClient(timeout=10.0) as http:
        return (await http.get(url)).raise_for_status().json()


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
                        '<link rel="icon" href="data:,"></head>'  # no /favicon.ico request
                        f"<body><h1>{title}</h1>{body}</body></html>", status_code=status_code)


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: Ctrl-C stays pytest's."""

    def capture_signals(self):
        return contextlib.nullcontext()


@contextlib.asynccontextmanager
async def serving(rp: RelyingParty, port: int):
    """Serve ``rp`` on 127.0.0.1:``port`` as a task of the running loop until the block ends."""
    server = _Server(uvicorn.Config(rp.app(), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # start-up failed: raise its error
            await asyncio.sleep(0.02)
        yield rp
    finally:
        server.should_exit = True
        await task
