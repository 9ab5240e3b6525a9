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
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from alembic import command

from idp.accounts.service import create_account
from idp.captcha.providers import TEST_ANSWER
from idp.clients.admin import rotate_secret, upsert_client
from idp.db.engine import create_engine, create_sessionmaker
from idp.db.migrate import alembic_config
from idp.security.passwords import Passwords
from idp.settings import PROJECT_ROOT
from tests.support.portal import PASSWORD, hidden_fields

STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
CHEAP_ARGON2 = {"IDP_ARGON2_MEMORY_KIB": "64", "IDP_ARGON2_TIME_COST": "1"}


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports nobody listens on right now (the OS picks them; all
    are held until the last is chosen, so none repeats)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def free_port() -> int:
    return free_ports(1)[0]


def portal_environment(database_url: str, issuer: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update({
        "IDP_DATABASE_URL": database_url, "IDP_ISSUER": issuer, "IDP_ENVIRONMENT": "test",
        "IDP_KEY_PUBLISH_LEAD_SECONDS": "0", "IDP_BACKGROUND_WORKER": "true", "IDP_CAPTCHA_PROVIDER": "test",
        **CHEAP_ARGON2,
    })
    env.update(overrides)
    return env


@dataclass
class LivePortal:
    """One running portal process."""

    port: int
    issuer: str
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def http(self, **kwargs) -> httpx.AsyncClient:
        kwargs.setdefault("timeout", 10.0)
        return httpx.AsyncClient(base_url=self.url, **kwargs)


def _spawn(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "idp.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )


async def _wait_ready(live: LivePortal, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if live.process.poll() is not None:
                raise RuntimeError(f"portal on port {live.port} exited with {live.process.returncode}:\n"
                                   f"{live.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                response = await http.get(f"{live.url}/.well-known/openid-configuration")
                if response.status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"portal on port {live.port} not ready within {timeout} s:\n{live.log_tail()}")


async def stop(live: LivePortal) -> None:
    if live.process.poll() is None:
        live.process.terminate()
        try:
            await asyncio.to_thread(live.process.wait, STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            live.process.kill()
            await asyncio.to_thread(live.process.wait, STOP_TIMEOUT)


async def start(database_url: str, log_dir: Path, *, port: int | None = None, issuer: str | None = None,
                timeout: float = STARTUP_TIMEOUT, **env_overrides: str) -> LivePortal:
    """Start one portal process and wait until it answers; the caller must :func:`stop` it."""
    port = port or free_port()
    issuer = issuer or f"http://127.0.0.1:{port}"
    log_path = log_dir / f"portal-{port}.log"
    process = _spawn(port, portal_environment(database_url, issuer, **env_overrides), log_path)
    live = LivePortal(port, issuer, process, log_path)
    try:
        await _wait_ready(live, timeout)
    except BaseException:
        await stop(live)
        raise
    return live


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


@contextlib.asynccontextmanager
async def admin_session(database_url: str):
    """A write transaction on the portal's database from outside the portal (the CLI's way)."""
    engine = create_engine(database_url, pooled=False)
    try:
        async with create_sessionmaker(engine).begin() as db:
            yield db
    finally:
        await engine.dispose()


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
    metadata = {
        "display_name": f"测试应用 {client_id}",
        "redirect_uris": [f"{rp_base}/cb"],
        "post_logout_redirect_uris": [f"{rp_base}/logged-out"],
        "backchannel_logout_uri": backchannel_logout_uri,
        "grant_types": ["authorization_code", "refresh_token"],
        "scopes": ["openid", "profile", "email", "phone", "offline_access"],
        "first_party": True,
        "token_endpoint_auth_method": "client_secret_basic",
        **values,
    }
    async with admin_session(database_url) as db:
        await upsert_client(db, client_id, metadata, source="cli", production=False)
        secret = await rotate_secret(db, client_id)
    return LiveClient(client_id, secret, metadata["redirect_uris"][0], metadata["post_logout_redirect_uris"][0])


async def register_account(database_url: str, username: str = "zhangsan", **fields):
    fields.setdefault("name", "张三")
    fields.setdefault("mobile", "13800138000")
    fields.setdefault("email", f"{username}@example.com")
    async with admin_session(database_url) as db:
        return await create_account(db, Passwords(memory_kib=64, time_cost=1, parallelism=1),
                                    username=username, password=PASSWORD, **fields)


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

    def start(self) -> "BackchannelReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the stdlib's name)
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

