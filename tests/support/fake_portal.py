"""A FAKE portal for the business system's side of 授权绑定 (shared.binding), so those tests do
not depend on the portal's side: an ``httpx.MockTransport`` handler serving discovery, a JWKS
with a key generated here, PORTAL_INTENT, the confirm / refused / ended calls and PORTAL_NOTICES (recorded,
with the Basic credentials they came with), and a signer of portal requests to the binding API.
It also answers the silent login by which /binding/start checks the browser's portal user
(``answer_authorization``: the portal's redirect back, as the intent's subject by default) and
redeems its code at a token endpoint; its UserInfo endpoint answers with the claims a test gave
for that subject (``userinfo``), so :func:`portal_login` logs in as whoever a test needs.

``FakePortal.over(inner)`` serves only the binding endpoints and passes everything else to
``inner`` (the real in-process portal), for tests that also log in through the portal.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt

from mock_systems.common import DEMO_LOCAL_PASSWORD, SystemProfile, create_system_app, settings_for
from shared.binding import PORTAL_NOTICES, PORTAL_REQUEST_TYP, Intent
from tests.support.portal import hidden_fields

ISSUER = "https://portal.example.test"
CAPTCHA = "TEST"
ANSWERS = {"confirm": {"state": "active"}, "refused": {"state": "failed"}, "ended": {"state": "ended"}}
BINDING_PATH = re.compile(r"/api/bindings/(?P<id>[^/]+)(?:/(?P<action>confirm|refused|ended))?")


def _pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _public_jwk(key, algorithm: str, kid: str) -> dict:
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return {**jwk.construct(public, algorithm).to_dict(), "kid": kid, "use": "sig", "alg": algorithm}


@dataclass
class SigningKey:
    kid: str
    algorithm: str
    pem: bytes
    public: dict


def new_key(kind: str = "RSA") -> SigningKey:
    kid = uuid.uuid4().hex[:12]
    if kind == "EC":
        key, algorithm = ec.generate_private_key(ec.SECP256R1()), "ES256"
    else:
        key, algorithm = rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"
    return SigningKey(kid, algorithm, _pem(key), _public_jwk(key, algorithm, kid))


@dataclass
class Call:
    method: str
    path: str
    basic: tuple[str, str] | None
    json: dict | None


@dataclass
class FakePortal:
    client_id: str
    client_secret: str = "fake-client-secret"
    issuer: str = ISSUER
    key: SigningKey = field(default_factory=new_key)
    intents: dict[str, dict] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    down: bool = False  # nothing answers
    calls_down: bool = False  # the confirm / refused / ended calls cannot connect
    answer_status: dict[str, int] = field(default_factory=dict)  # action → status instead of 200
    codes: dict[str, dict] = field(default_factory=dict)  # authorization code → its request and subject
    authorizations: list[dict] = field(default_factory=list)  # the authorization requests answered
    userinfo: dict[str, dict] = field(default_factory=dict)  # subject → the claims UserInfo answers
    access_tokens: dict[str, str] = field(default_factory=dict)  # access token → subject

    # --- what the test sets up -----------------------------------------------------------------

    def intent(self, mode: str, *, sub: str | None = None, claims: dict | None = None, expires_in: int = 600,
               state: str = "pending", client_id: str | None = None, actor_sub: str | None = None) -> str:
        """A binding the portal started; returns its id."""
        binding_id = uuid.uuid4().hex
        self.intents[binding_id] = Intent(
            binding_id=binding_id, client_id=client_id or self.client_id, sub=sub or "sub-" + uuid.uuid4().hex[:12],
            mode=mode, state=state, expires_at=int(time.time()) + expires_in,
            claims={"name": "张三", "preferred_username": "zhangsan"} if claims is None else claims,
            actor_sub=actor_sub,
        ).to_json()
        return binding_id

    def sign(self, action: str, *, key: SigningKey | None = None, typ: str | None = PORTAL_REQUEST_TYP,
             lifetime: int = 60, **claims) -> str:
        """A portal request to the binding API; ``claims`` override or add (None removes)."""
        key = key or self.key
        now = int(time.time())
        body = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + lifetime,
                "jti": uuid.uuid4().hex, "action": action, **claims}
        headers = {"kid": key.kid} if typ is None else {"kid": key.kid, "typ": typ}
        return jwt.encode({k: v for k, v in body.items() if v is not None}, key.pem.decode(),
                          algorithm=key.algorithm, headers=headers)

    def calls_to(self, action: str, binding_id: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path.endswith("/" + action)
                and (binding_id is None or f"/{binding_id}/" in c.path)]

    def answer_authorization(self, location: str, *, sub: str | None = None, error: str | None = None) -> str:
        """The portal's answer to the authorization request at ``location`` (the system's
        redirect): the callback URL (path and query) with a code for the portal user ``sub``, or
        with ``error`` (e.g. login_required)."""
        target = urlsplit(location)
        assert f"{target.scheme}://{target.netloc}{target.path}" == self.issuer + "/authorize", location
        params = dict(parse_qsl(target.query))
        self.authorizations.append(params)
        answer = {"state": params["state"], "iss": self.issuer}
        if error is not None:
            answer["error"] = error
        else:
            code = uuid.uuid4().hex
            self.codes[code] = {**params, "sub": sub}
            answer["code"] = code
        return urlsplit(params["redirect_uri"]).path + "?" + urlencode(answer)

    def id_token(self, sub: str, nonce: str) -> str:
        now = int(time.time())
        return jwt.encode({"iss": self.issuer, "aud": self.client_id, "sub": sub, "nonce": nonce, "iat": now,
                           "exp": now + 300}, self.key.pem.decode(), algorithm=self.key.algorithm,
                          headers={"kid": self.key.kid})

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        grant = self.codes.pop(form.get("code", ""), None)
        if _basic(request) != (self.client_id, self.client_secret) or grant is None:
            return httpx.Response(400, json={"error": "invalid_grant"})
        challenge = base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if challenge.rstrip(b"=").decode() != grant["code_challenge"]:
            return httpx.Response(400, json={"error": "invalid_grant"})
        access_token = uuid.uuid4().hex
        self.access_tokens[access_token] = grant["sub"]
        return httpx.Response(200, json={"token_type": "Bearer", "access_token": access_token,
                                         "id_token": self.id_token(grant["sub"], grant["nonce"])})

    def _userinfo(self, request: httpx.Request) -> httpx.Response:
        sub = self.access_tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if sub is None:
            return httpx.Response(401, json={"error": "invalid_token"})
        return httpx.Response(200, json={**self.userinfo.get(sub, {}), "sub": sub})

    # --- the portal's HTTP -----------------------------------------------------------------------

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("the portal is down", request=request)
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json={"issuer": self.issuer, "jwks_uri": self.issuer + "/jwks",
                                             "authorization_endpoint": self.issuer + "/authorize",
                                             "token_endpoint": self.issuer + "/token",
                                             "userinfo_endpoint": self.issuer + "/userinfo"})
        if path == "/token" and request.method == "POST":
            return self._token(request)
        if path == "/userinfo":
            return self._userinfo(request)
        if path == "/jwks":
            return httpx.Response(200, json={"keys": [self.key.public]})
        if path == PORTAL_NOTICES and request.method == "POST":
            return self._notice(request)
        match = BINDING_PATH.fullmatch(path)
        if match is None:
            return httpx.Response(404)
        if self.calls_down and match["action"] is not None:
            raise httpx.ConnectError("the portal is restarting", request=request)
        basic = _basic(request)
        self.calls.append(Call(request.method, path, basic,
                               httpx.Response(200, content=request.content).json() if request.content else None))
        if basic != (self.client_id, self.client_secret):
            return httpx.Response(401, json={"error": "invalid_client"})
        intent = self.intents.get(match["id"])
        if intent is None:
            return httpx.Response(404, json={"error": "not_found"})
        if match["action"] is None:
            return httpx.Response(200, json=intent) if request.method == "GET" else httpx.Response(405)
        status = self.answer_status.get(match["action"], 200)
        return httpx.Response(status, json=ANSWERS[match["action"]] if status == 200 else {"error": "conflict"})

    def _notice(self, request: httpx.Request) -> httpx.Response:
        """A notice for 我的消息 (recorded with its credentials): 201, or ``answer_status["notice"]``."""
        basic = _basic(request)
        self.calls.append(Call(request.method, request.url.path, basic, httpx.Response(200, content=request.content)
                               .json()))
        if basic != (self.client_id, self.client_secret):
            return httpx.Response(401, json={"error": "invalid_client"})
        status = self.answer_status.get("notice", 201)
        return httpx.Response(status, json={"posted": True} if status == 201 else {"error": "not_found"})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def over(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return _Over(self, inner)


class _Over(httpx.AsyncBaseTransport):
    def __init__(self, fake: FakePortal, inner: httpx.AsyncBaseTransport):
        self.fake, self.inner = fake, inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if BINDING_PATH.fullmatch(request.url.path):
            await request.aread()
            response = self.fake.handler(request)
            return httpx.Response(response.status_code, headers=response.headers, content=response.content)
        return await self.inner.handle_async_request(request)


def _basic(request: httpx.Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _, password = base64.b64decode(value).decode().partition(":")
    return user, password


def system_settings(profile: SystemProfile, fake: FakePortal, database_url: str, **overrides):
    return settings_for(profile, **{
        "issuer": fake.issuer, "base_url": f"https://{profile.client_id}.systems.example.test",
        "database_url": database_url, "client_secret": fake.client_secret, "captcha_provider": "test",
        "captcha_test_answer": CAPTCHA, "argon2_memory_kib": 64, "argon2_time_cost": 1, "jwks_refetch_seconds": 0,
        "outbox_poll_seconds": 3600, **overrides,
    })


@contextlib.asynccontextmanager
async def system_with_fake_portal(profile: SystemProfile, fake: FakePortal, database_url: str, **overrides):
    """The system started against the fake portal; yields the app (``app.state.system``)."""
    settings = system_settings(profile, fake, database_url, **overrides)
    app = create_system_app(profile, settings, http=httpx.AsyncClient(transport=fake.transport()))
    app.state.fake = fake
    async with app.router.lifespan_context(app):
        yield app


def browser_for(app, base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


async def open_binding(app, binding_id: str, browser: httpx.AsyncClient | None = None, *,
                       sub: str | None = None, error: str | None = None) -> httpx.Response:
    """GET /binding/start in ``browser`` (default ``app.state.browser``) as the portal user ``sub``
    (default: the binding's own subject): the system's silent login answered by the fake portal,
    then the system's page after the check (or its refusal)."""
    browser = browser or app.state.browser
    fake: FakePortal = app.state.fake
    to_portal = await browser.get(f"/binding/start?binding={binding_id}")
    if to_portal.status_code != 303 or not to_portal.headers["location"].startswith(fake.issuer + "/authorize"):
        return to_portal  # refused before the check (an invalid intent)
    sub = sub or fake.intents[binding_id]["actor_sub"] or fake.intents[binding_id]["sub"]
    callback = await browser.get(fake.answer_authorization(to_portal.headers["location"], sub=sub, error=error))
    if callback.status_code != 303 or not callback.headers["location"].startswith("/binding/start"):
        return callback
    return await browser.get(callback.headers["location"])


async def portal_login(app, browser: httpx.AsyncClient, sub: str, claims: dict | None = None,
                       target: str = "/") -> httpx.Response:
    """Log ``browser`` in to the system through the fake portal as ``sub`` (UserInfo answering
    ``claims`` when given): /auth/login, the portal's answer, then the callback's response."""
    fake: FakePortal = app.state.fake
    if claims is not None:
        fake.userinfo[sub] = claims
    to_portal = await browser.get("/auth/login", params={"target_link_uri": app.state.system.settings.base_url
                                                           + target})
    assert to_portal.status_code == 303, to_portal.text[:300]
    return await browser.get(fake.answer_authorization(to_portal.headers["location"], sub=sub))


async def bind_existing(app, binding_id: str, username: str, password: str = DEMO_LOCAL_PASSWORD, *,
                        captcha: str = CAPTCHA) -> httpx.Response:
    """已有用户的登录授权 in ``app.state.browser``: the system's page, then its form submitted."""
    browser = app.state.browser
    page = await open_binding(app, binding_id)
    assert page.status_code == 200 and 'action="/binding/start"' in page.text, page.text[:300]
    return await browser.post("/binding/start", data={**hidden_fields(page.text), "username": username,
                                                      "password": password, "captcha": captcha})
