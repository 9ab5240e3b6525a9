"""Starting the portal in-process for tests, registering relying parties, and a browser that
walks the login pages over httpx (no JavaScript needed: the pages are plain forms)."""
from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from sqlalchemy import select

from idp.accounts.models import Account, AccountType
from idp.accounts.service import create_account
from idp.app import create_app
from idp.captcha.providers import TEST_ANSWER
from idp.oidc.client_registration import rotate_secret, upsert_client
from idp.settings import Settings
from tests.support.binding_systems import FakeSystems

ISSUER = "https://op.example.test"
RP = "https://rp.example.test"
PASSWORD = "Test@2026pass"
ALL_SCOPES = ["openid", "profile", "email", "phone", "identity", "enterprise", "id_number", "offline_access"]


def test_settings(database_url: str, **overrides) -> Settings:
    values = dict(
        environment="test", database_url=database_url, issuer=ISSUER,
        argon2_memory_kib=64, argon2_time_cost=1, key_publish_lead_seconds=0, key_cache_seconds=0,
        client_cache_seconds=0, background_worker=False, captcha_provider="test",
        auto_migrate=False,  # each test database is a copy of an already migrated template
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class Backchannel:
    """Stands in for the relying parties' back-channel logout endpoints."""

    received: list[tuple[str, str]] = field(default_factory=list)
    down: set[str] = field(default_factory=set)

    def handler(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.method == "HEAD":  # the portal asks whether a system answers before sending a browser there
            return httpx.Response(200)
        token = parse_qs(request.content.decode())["logout_token"][0]
        self.received.append((str(request.url), token))
        return httpx.Response(200)


@dataclass
class RegisteredClient:
    client_id: str
    client_secret: str | None
    redirect_uri: str


@dataclass
class PortalUnderTest:
    app: object
    settings: Settings
    backchannel: Backchannel
    systems: FakeSystems = field(default_factory=FakeSystems)  # the business systems' binding APIs

    @property
    def portal(self):
        return self.app.state.portal

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app)

    def http(self, **kwargs) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport(), base_url=ISSUER, **kwargs)

    async def add_client(self, client_id: str, **values) -> RegisteredClient:
        redirect_uri = f"{RP}/{client_id}/cb"
        metadata = {
            "display_name": f"测试应用 {client_id}",
            "redirect_uris": [redirect_uri],
            "post_logout_redirect_uris": [f"{RP}/{client_id}/logged-out"],
            "backchannel_logout_uri": f"https://{client_id}.rp.example.test/backchannel",
            # 授权绑定: the browser starts there; the portal calls the API (tests: put.systems).
            "binding_start_uri": f"https://{client_id}.rp.example.test/binding/start",
            "binding_api_uri": f"https://{client_id}.rp.example.test",
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "scopes": ALL_SCOPES,
            "first_party": True,
            "token_endpoint_auth_method": "client_secret_basic",
        }
        metadata.update(values)
        async with self.portal.sessionmaker.begin() as db:
            await upsert_client(db, client_id, metadata, source="cli", production=False)
            secret = None
            if metadata["token_endpoint_auth_method"].startswith("client_secret"):
                secret = await rotate_secret(db, client_id)
        return RegisteredClient(client_id, secret, metadata["redirect_uris"][0])

    async def add_account(self, username: str = "zhangsan", **fields):
        fields.setdefault("name", "张三")
        # Distinct per username: a mobile number is a login name of one personal account only.
        fields.setdefault("mobile", "139" + str(int(hashlib.sha256(username.encode()).hexdigest(), 16))[:8])
        fields.setdefault("email", f"{username}@example.com")
        async with self.portal.sessionmaker.begin() as db:
            return await create_account(db, self.portal.passwords, username=username, password=PASSWORD, **fields)

    def oauth_client(self, client: RegisteredClient, **kwargs) -> AsyncOAuth2Client:
        """Authlib's OAuth client — an independent relying party, not the server code."""
        kwargs.setdefault("scope", "openid profile")
        kwargs.setdefault("code_challenge_method", "S256")
        return AsyncOAuth2Client(
            client_id=client.client_id, client_secret=client.client_secret, redirect_uri=client.redirect_uri,
            transport=self.transport(), base_url=ISSUER, **kwargs,
        )


@contextlib.asynccontextmanager
async def running_portal(database_url: str, **overrides):
    backchannel = Backchannel()
    systems = FakeSystems()
    settings = test_settings(database_url, **overrides)

    def route(request: httpx.Request) -> httpx.Response:
        return (systems if systems.handles(request) else backchannel).handler(request)

    app = create_app(settings, http=httpx.AsyncClient(transport=httpx.MockTransport(route)))
    async with app.router.lifespan_context(app):
        yield PortalUnderTest(app, settings, backchannel, systems)


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in HIDDEN.findall(html)}


class Browser:
    """A cookie jar that follows the portal's redirects and stops at the relying party."""

    def __init__(self, put: PortalUnderTest):
        self.put = put
        self.client = put.http()
        self.last: httpx.Response | None = None

    async def aclose(self) -> None:
        await self.client.aclose()

    async def go(self, url: str, *, method: str = "GET", data: dict | None = None) -> httpx.Response:
        """Follow 30x within the portal; return the first response that is a page or that
        redirects elsewhere (to a relying party)."""
        response = await self.client.request(method, url, data=data)
        while response.is_redirect:
            location = response.headers["location"]
            target = urlsplit(location)
            if target.netloc and f"{target.scheme}://{target.netloc}" != ISSUER:
                break
            response = await self.client.get(location)
        self.last = response
        return response

    async def submit(self, page: httpx.Response, action: str, **fields) -> httpx.Response:
        data = {**hidden_fields(page.text), **fields}
        return await self.go(action, method="POST", data=data)

    async def login(self, page: httpx.Response, username: str = "zhangsan", password: str = PASSWORD, *,
                    window: str | None = None, captcha: str = TEST_ANSWER) -> httpx.Response:
        """Fill the login form: the window (法人登录 for a legal person's username, else 个人登录,
        unless ``window`` says), login name, password and the test captcha's answer."""
        assert 'action="/login"' in page.text, page.text[:500]
        window = window or await self.window_for(username)
        return await self.submit(page, "/login", window=window, username=username, password=password, captcha=captcha)

    async def window_for(self, username: str) -> str:
        if username.isprintable():  # a NUL cannot even be compared on PostgreSQL
            async with self.put.portal.reader() as db:
                kind = await db.scalar(select(Account.account_type).where(Account.username == username.lower()))
            if kind == AccountType.legal_person:
                return "legal"
        return "personal"

    async def authorize(self, params: dict, *, username: str | None = "zhangsan",
                        consent: bool = True) -> httpx.Response:
        """Start at /authorize, log in and consent when asked; return the redirect to the RP."""
        response = await self.go("/authorize?" + urlencode(params))
        if username and 'action="/login"' in response.text:
            response = await self.login(response, username)
        if 'action="/select-account"' in response.text:
            response = await self.submit(response, "/select-account", choice="current")
        if consent and 'action="/consent"' in response.text:
            response = await self.submit(response, "/consent", decision="allow")
        return response


def callback_params(response: httpx.Response) -> dict[str, str]:
    assert response.is_redirect, f"expected a redirect, got {response.status_code}: {response.text[:300]}"
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}
