"""Pytest fixtures for a business-system team: ``pytest -p idp.testing.pytest_plugin``.

- ``portal_process``: the portal as a uvicorn process on a free loopback port, on a fresh SQLite
  file (or ``--portal-database-url`` / IDP_HARNESS_DATABASE_URL), with the test captcha, the
  development message sink and cheap argon2id; stopped after the test.
- ``seeded_accounts``: a personal account (zhangsan) and a legal person (qiye) to log in with.
- ``registered_client``: your system registered as a client (its secret in ``.client_secret``),
  with the endpoints under ``--system-url`` / IDP_HARNESS_SYSTEM_URL (paths as in
  docs/integration.md; override the ``client_registration`` fixture for others).
- ``portal_client``: :class:`idp.testing.client.PortalClient`, a user's browser on the portal.

Your system must know the portal's issuer (``portal_process.issuer``) and the client secret:
either start it in a fixture of your own that uses these two, or start it beforehand with a
fixed secret and pass that secret as ``--client-secret`` / IDP_HARNESS_CLIENT_SECRET."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from idp.testing.client import PortalClient
from idp.testing.portal_process import portal_process as start_portal_process, sqlite_url
from idp.testing.setup import DEFAULT_SCOPES, register_client, seed_accounts

OPTIONS = {  # option → (environment variable, help)
    "portal_database_url": ("IDP_HARNESS_DATABASE_URL", "the portal's database (default: a fresh SQLite file)"),
    "system_url": ("IDP_HARNESS_SYSTEM_URL", "your system's base URL, e.g. http://127.0.0.1:8101"),
    "client_id": ("IDP_HARNESS_CLIENT_ID", "your system's client_id (default: team-system)"),
    "client_secret": ("IDP_HARNESS_CLIENT_SECRET", "register this secret instead of a new one"),
    "client_scopes": ("IDP_HARNESS_CLIENT_SCOPES",
                      "space-separated scopes (default: " + " ".join(DEFAULT_SCOPES) + ")"),
}


def pytest_addoption(parser) -> None:
    group = parser.getgroup("idp-harness", "政务服务门户 integration harness")
    for name, (variable, text) in OPTIONS.items():
        group.addoption("--" + name.replace("_", "-"), dest="idp_harness_" + name, default=None, metavar="VALUE",
                        help=f"{text}; or {variable}")


@dataclass(frozen=True)
class HarnessOptions:
    portal_database_url: str | None
    system_url: str | None
    client_id: str
    client_secret: str | None
    client_scopes: list[str]


def _option(config, name: str) -> str | None:
    value = config.getoption("idp_harness_" + name, default=None)
    return value or os.environ.get(OPTIONS[name][0]) or None


@pytest.fixture(scope="session")
def harness_options(pytestconfig) -> HarnessOptions:
    scopes = _option(pytestconfig, "client_scopes")
    return HarnessOptions(
        portal_database_url=_option(pytestconfig, "portal_database_url"),
        system_url=_option(pytestconfig, "system_url"),
        client_id=_option(pytestconfig, "client_id") or "team-system",
        client_secret=_option(pytestconfig, "client_secret"),
        client_scopes=scopes.split() if scopes else list(DEFAULT_SCOPES),
    )


@pytest.fixture
def portal_database_url(harness_options, tmp_path) -> str:
    """Override to give the portal another database (it must be empty or the portal's own)."""
    return harness_options.portal_database_url or sqlite_url(tmp_path)


@pytest.fixture
def system_url(harness_options) -> str:
    """Your system's base URL; override this fixture when your system picks its port per test."""
    if not harness_options.system_url:
        pytest.fail("no system URL: pass --system-url or set IDP_HARNESS_SYSTEM_URL", pytrace=False)
    return harness_options.system_url.rstrip("/")


@pytest.fixture
def client_registration(harness_options, system_url) -> dict:
    """The client's registration: the paths docs/integration.md uses under ``system_url``."""
    return {
        "redirect_uris": [f"{system_url}/auth/callback"],
        "post_logout_redirect_uris": [f"{system_url}/"],
        "backchannel_logout_uri": f"{system_url}/auth/backchannel-logout",
        "initiate_login_uri": f"{system_url}/auth/login",
        "binding_start_uri": f"{system_url}/binding/start",
        "binding_api_uri": system_url,
        "scopes": harness_options.client_scopes,
    }


@pytest_asyncio.fixture
async def portal_process(portal_database_url, tmp_path):
    """The portal as a process; clients are read from the database on every request
    (IDP_CLIENT_CACHE_SECONDS=0), so a registration made after the start counts at once."""
    log_dir = Path(tmp_path) / "portal-logs"
    log_dir.mkdir(exist_ok=True)
    async with start_portal_process(portal_database_url, log_dir, IDP_CLIENT_CACHE_SECONDS="0") as portal:
        yield portal


@pytest_asyncio.fixture
async def seeded_accounts(portal_process):
    return await seed_accounts(portal_process.database_url)


@pytest_asyncio.fixture
async def registered_client(portal_process, harness_options, client_registration):
    return await register_client(portal_process.database_url, harness_options.client_id,
                                 secret=harness_options.client_secret, **client_registration)


@pytest_asyncio.fixture
async def portal_client(portal_process):
    async with PortalClient(portal_process.url) as client:
        yield client
