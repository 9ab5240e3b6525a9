"""Running the portal as real uvicorn processes over real HTTP, for the live-process tests.

``live_portal(...)`` starts ``python -m uvicorn idp.app:create_app --factory`` on a free
loopback port with its settings in IDP_ environment variables, waits for the discovery
document, and always stops the process (terminate, then kill). ``register_client`` and
``register_account`` write straight into the database, the way the operators' CLI does.
``BackchannelReceiver`` is a relying party's back-channel logout endpoint on its own port.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from alembic import command

from idp.captcha.providers import TEST_ANSWER
from idp.db.engine import create_engine
from idp.db.migrate import alembic_config
from idp.testing import setup
from idp.testing.portal_process import (  # noqa: F401 (re-exported for the live-process tests)
    CHEAP_ARGON2,
    STARTUP_TIMEOUT,
    STOP_TIMEOUT,
    PortalProcess,
    free_port,
    free_ports,
    portal_environment,
    start_process,
    stop_process,
)
from idp.testing.setup import admin_session  # noqa: F401
from tests.support.portal import PASSWORD, hidden_fields

LivePortal = PortalProcess  # one running portal process (idp.testing.portal_process)
stop = stop_process


async def start(database_url: str, log_dir: Path, **kwargs) -> LivePortal:
    """Start one portal process and wait until it answers; the caller must :func:`stop` it."""
    return await start_process(database_url, log_dir, **kwargs)


@contextlib.asynccontextmanager
async def live_portals(database_url: str, log_dir: Path, count: int = 1, *, issuer: str | None = None,
                       **env_overrides: str):
    """``count`` processes on one database sharing one issuer (by default the first one's URL),
    started at the same time as replicas of one deployment are; all are stopped on the way out."""
    ports = free_ports(count)
    issuer = issuer or f"http://127.0.0.1:{ports[0]}"
    results = await asyncio.gather(
        *(start(database_url, log_dir, port=p, issuer=issuer, **env_overrides) for p in ports),
        return_exceptions=True,
    )
    started = [r for r in results if isinstance(r, LivePortal)]
    try:
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        yield started
    finally:
        await asyncio.gather(*(stop(live) for live in started))


async def downgrade_to_base(database_url: str) -> None:
    """Run every migration's downgrade: a database the portal must migrate when it starts."""
    def downgrade(sync_connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_connection
        command.downgrade(cfg, "base")

    engine = create_engine(database_url, pooled=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
    finally:
        await engine.dispose()


@dataclass
class LiveClient:
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str


async def register_client(database_url: str, client_id: str, *, rp_base: str,
                          backchannel_logout_uri: str | None = None, **values) -> LiveClient:
    values.setdefault("redirect_uris", [f"{rp_base}/cb"])
    values.setdefault("post_logout_redirect_uris", [f"{rp_base}/logged-out"])
    values.setdefault("scopes", ["openid", "profile", "email", "phone", "offline_access"])
    registered = await setup.register_client(database_url, client_id, backchannel_logout_uri=backchannel_logout_uri,
                                             **values)
    return LiveClient(client_id, registered.client_secret, registered.redirect_uri,
                      registered.post_logout_redirect_uri)


async def register_account(database_url: str, username: str = "zhangsan", **fields):
    fields.setdefault("mobile", "13800138000")
    return await setup.add_account(database_url, username, password=PASSWORD, **fields)


class LiveBrowser:
    """A cookie jar walking the portal's pages over real HTTP; it stops at any redirect that
    leaves the portal (to a relying party), as a browser would hand that URL to the RP."""

    def __init__(self, timeout: float = 10.0):
        self.client = httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def go(self, url: str, *, method: str = "GET", data: dict | None = None) -> httpx.Response:
        response = await self.client.request(method, url, data=data)
        for _ in range(10):
            if not response.is_redirect:
                break
            target = response.url.join(response.headers["location"])
            if (target.scheme, target.host, target.port) != (response.url.scheme, response.url.host,
                                                               response.url.port):
                break
            response = await self.client.get(target)
        return response

    async def submit(self, page: httpx.Response, action: str, **fields) -> httpx.Response:
        return await self.go(str(page.url.join(action)), method="POST", data={**hidden_fields(page.text), **fields})

    async def authorize(self, url: str, username: str = "zhangsan", password: str = PASSWORD, *,
                        window: str = "personal") -> httpx.Response:
        """Open an authorization URL; log in (in ``window``, with the test captcha's answer) and
        consent when asked. Returns the response that redirects to the relying party."""
        response = await self.go(url)
        if 'action="/login"' in response.text:
            response = await self.submit(response, "/login", window=window, username=username, password=password,
                                         captcha=TEST_ANSWER)
        if 'action="/consent"' in response.text:
            response = await self.submit(response, "/consent", decision="allow")
        return response


def redirect_params(response: httpx.Response) -> dict[str, str]:
    assert response.is_redirect, f"expected a redirect, got {response.status_code}: {response.text[:300]}"
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


@dataclass
class BackchannelReceiver:
    """A relying party's back-channel logout endpoint (OIDC Back-Channel Logout §2.5) on a port
    of its own, in a thread: it records each form-posted logout_token and answers 200."""

    tokens: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/backchannel"

    def start(self) -> BackchannelReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
                token = parse_qs(body).get("logout_token", [None])[0]
                ok = self.path == "/backchannel" and token is not None and self.headers.get(
                    "content-type", "").startswith("application/x-www-form-urlencoded")
                if ok:
                    with receiver._arrived:
                        receiver.tokens.append(token)
                        receiver._arrived.notify_all()
                self.send_response(200 if ok else 400)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # port 0: the OS picks a free one
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    async def received(self, count: int, timeout: float) -> list[str]:
        """The tokens so far, once ``count`` arrived or ``timeout`` passed (waits in a thread)."""
        def wait() -> list[str]:
            with self._arrived:
                self._arrived.wait_for(lambda: len(self.tokens) >= count, timeout)
                return list(self.tokens)

        return await asyncio.to_thread(wait)

