"""Starting the portal for a test: as a real uvicorn process on a free loopback port (the way it
is deployed), or in-process (``create_app`` with its lifespan, reached through httpx's
ASGITransport). Both use the test settings: the test captcha provider (answer ``TEST``), the
development message sink (/dev/messages), cheap argon2id, and keys published at once."""
from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from idp.app import create_app
from idp.settings import Settings
from shared.processes import (  # noqa: F401 (free_port(s) and the timeouts are part of the harness)
    STARTUP_TIMEOUT,
    STOP_TIMEOUT,
    ServerProcess,
    free_port,
    free_ports,
    start,
    stop,
    uvicorn_command,
)

# Cheap argon2id: a test logs in many times; the portal refuses these values in production.
CHEAP_ARGON2 = {"IDP_ARGON2_MEMORY_KIB": "64", "IDP_ARGON2_TIME_COST": "1"}
TEST_ENVIRONMENT = {
    "IDP_ENVIRONMENT": "test", "IDP_CAPTCHA_PROVIDER": "test", "IDP_MESSAGE_SINK": "development",
    "IDP_KEY_PUBLISH_LEAD_SECONDS": "0", "IDP_BACKGROUND_WORKER": "true", **CHEAP_ARGON2,
}
APP = "idp.app:create_app"
PROBE = "/.well-known/openid-configuration"


def sqlite_url(directory: Path) -> str:
    """A fresh SQLite file in ``directory``; the portal migrates it when it starts."""
    return f"sqlite+aiosqlite:///{Path(directory) / 'portal.db'}"


def portal_environment(database_url: str, issuer: str, **overrides: str) -> dict[str, str]:
    """The process environment: this one's, without any IDP_ setting of the caller's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update({"IDP_DATABASE_URL": database_url, "IDP_ISSUER": issuer, **TEST_ENVIRONMENT})
    env.update(overrides)
    return env


@dataclass(kw_only=True)
class PortalProcess(ServerProcess):
    """One running portal process (shared.processes), with the issuer and database it was given."""

    issuer: str
    database_url: str = ""

    def http(self, **kwargs) -> httpx.AsyncClient:
        kwargs.setdefault("timeout", 10.0)
        return httpx.AsyncClient(base_url=self.url, **kwargs)


async def stop_process(running: ServerProcess) -> None:
    """Stop it (its process group: SIGTERM, then SIGKILL after STOP_TIMEOUT)."""
    await stop(running)


async def start_process(database_url: str, log_dir: Path, *, port: int | None = None, issuer: str | None = None,
                        timeout: float = STARTUP_TIMEOUT, log_level: str = "warning",
                        **env_overrides: str) -> PortalProcess:
    """Start one portal process and wait until it answers; the caller must :func:`stop_process` it.
    ``env_overrides`` are IDP_ variables (``IDP_CLIENT_CACHE_SECONDS="0"``); ``log_level``
    "info" writes uvicorn's access log too."""
    port = port or free_port()
    issuer = issuer or f"http://127.0.0.1:{port}"
    return await start("portal", uvicorn_command(APP, port, log_level=log_level), port=port,
                       env=portal_environment(database_url, issuer, **env_overrides),
                       log_path=Path(log_dir) / f"portal-{port}.log", probe=PROBE, timeout=timeout,
                       kind=PortalProcess, issuer=issuer, database_url=database_url)


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

    app: FastAPI
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
    values: dict[str, Any] = {"environment": "test", "database_url": database_url, "issuer": issuer,
                              "captcha_provider": "test", "message_sink": "development", "argon2_memory_kib": 64,
                              "argon2_time_cost": 1, "key_publish_lead_seconds": 0}
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
