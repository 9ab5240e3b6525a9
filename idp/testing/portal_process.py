"""Starting the portal for a test: as a real uvicorn process on a free loopback port (the way it
is deployed), or in-process (``create_app`` with its lifespan, reached through httpx's
ASGITransport). Both use the test settings: the test captcha provider (answer ``TEST``), the
development message sink (/dev/messages), cheap argon2id, and keys published at once."""
from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from idp.app import create_app
from idp.settings import PROJECT_ROOT, Settings

STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
# Cheap argon2id: a test logs in many times; the portal refuses these values in production.
CHEAP_ARGON2 = {"IDP_ARGON2_MEMORY_KIB": "64", "IDP_ARGON2_TIME_COST": "1"}
TEST_ENVIRONMENT = {
    "IDP_ENVIRONMENT": "test", "IDP_CAPTCHA_PROVIDER": "test", "IDP_MESSAGE_SINK": "development",
    "IDP_KEY_PUBLISH_LEAD_SECONDS": "0", "IDP_BACKGROUND_WORKER": "true", **CHEAP_ARGON2,
}


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


def sqlite_url(directory: Path) -> str:
    """A fresh SQLite file in ``directory``; the portal migrates it when it starts."""
    return f"sqlite+aiosqlite:///{Path(directory) / 'portal.db'}"


def portal_environment(database_url: str, issuer: str, **overrides: str) -> dict[str, str]:
    """The process environment: this one's, without any IDP_ setting of the caller's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update({"IDP_DATABASE_URL": database_url, "IDP_ISSUER": issuer, **TEST_ENVIRONMENT})
    env.update(overrides)
    return env


@dataclass
class PortalProcess:
    """One running portal process."""

    port: int
    issuer: str
    process: subprocess.Popen
    log_path: Path
    database_url: str = ""

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


def _spawn(port: int, env: dict[str, str], log_path: Path, log_level: str) -> subprocess.Popen:
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "idp.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", log_level],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )


async def _wait_ready(portal: PortalProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if portal.process.poll() is not None:
                raise RuntimeError(f"portal on port {portal.port} exited with {portal.process.returncode}:\n"
                                   f"{portal.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                response = await http.get(f"{portal.url}/.well-known/openid-configuration")
                if response.status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"portal on port {portal.port} not ready within {timeout} s:\n{portal.log_tail()}")


async def stop_process(running) -> None:
    """Terminate, then kill after STOP_TIMEOUT; for anything with a ``process`` (Popen)."""
    if running.process.poll() is None:
        running.process.terminate()
        try:
            await asyncio.to_thread(running.process.wait, STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            running.process.kill()
            await asyncio.to_thread(running.process.wait, STOP_TIMEOUT)


async def start_process(database_url: str, log_dir: Path, *, port: int | None = None, issuer: str | None = None,
                        timeout: float = STARTUP_TIMEOUT, log_level: str = "warning",
                        **env_overrides: str) -> PortalProcess:
    """Start one portal process and wait until it answers; the caller must :func:`stop_process` it.
    ``env_overrides`` are IDP_ variables (``IDP_CLIENT_CACHE_SECONDS="0"``); ``log_level``
    "info" writes uvicorn's access log too."""
    port = port or free_port()
    issuer = issuer or f"http://127.0.0.1:{port}"
    log_path = Path(log_dir) / f"portal-{port}.log"
    process = _spawn(port, portal_environment(database_url, issuer, **env_overrides), log_path, log_level)
    portal = PortalProcess(port, issuer, process, log_path, database_url)
    try:
        await _wait_ready(portal, timeout)
    except BaseException:
        await stop_process(portal)
        raise
    return portal


@contextlib.asynccontextmanager
async def portal_process(database_url: str | None = None, log_dir: Path | None = None, **kwargs):
    """One portal process, stopped on the way out. Without ``database_url``, a fresh SQLite file
    in a temporary directory (also where the log goes unless ``log_dir`` says)."""
    with tempfile.TemporaryDirectory(prefix="idp-harness-") as scratch:
        database_url = database_url or sqlite_url(Path(scratch))
        portal = await start_process(database_url, Path(log_dir or scratch), **kwargs)
        try:
            yield portal
        finally:
            await stop_process(portal)


@dataclass
class InProcessPortal:
    """The portal app in this process; ``transport()`` reaches it without a socket."""

    app: object
    settings: Settings

    @property
    def url(self) -> str:
        return self.settings.issuer

    @property
    def issuer(self) -> str:
        return self.settings.issuer

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app)

    def http(self, **kwargs) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport(), base_url=self.url, **kwargs)


def harness_settings(database_url: str, issuer: str = "https://portal.example.test", **overrides) -> Settings:
    """The in-process portal's settings: the same test choices as a process's environment."""
    values = {"environment": "test", "database_url": database_url, "issuer": issuer, "captcha_provider": "test",
              "message_sink": "development", "argon2_memory_kib": 64, "argon2_time_cost": 1,
              "key_publish_lead_seconds": 0}
    values.update(overrides)
    return Settings(**values)


@contextlib.asynccontextmanager
async def in_process(database_url: str | None = None, *, http: httpx.AsyncClient | None = None, **overrides):
    """The portal in-process with its lifespan (migration, keys, catalogue, background worker
    unless ``background_worker=False``). ``http`` is the client it calls business systems with."""
    with tempfile.TemporaryDirectory(prefix="idp-harness-") as scratch:
        settings = harness_settings(database_url or sqlite_url(Path(scratch)), **overrides)
        app = create_app(settings, http=http)
        async with app.router.lifespan_context(app):
            yield InProcessPortal(app, settings)
