"""Starting the two servers the benchmark compares, each seeded with the same accounts and one
confidential client: the portal (its own CLI and harness functions; SQLite or PostgreSQL; one
or more uvicorn workers) and node's oidc-provider (bench/peer/server.js)."""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import aiohttp

from bench.driver.browser import Target
from idp.accounts.service import create_account
from idp.settings import PROJECT_ROOT, Settings
from idp.testing.portal_process import APP, PROBE as DISCOVERY, portal_environment
from idp.testing.setup import admin_session, register_client
from shared import processes
from shared.hashing import Passwords
from shared.processes import free_port, uvicorn_command

PEER_DIR = PROJECT_ROOT / "bench" / "peer"
CLIENT_ID = "bench-client"
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never followed: the driver takes the code from the redirect
PASSWORD = "Bench@2026pass"
SERVER_CORE, DRIVER_CORE = 0, 1
# Both servers' settings beyond their defaults: codes live 10 minutes so that the code-exchange
# run can use codes made before it (the lifetime does not change what an exchange costs).
CODE_TTL_SECONDS = "600"
READY_TIMEOUT = 90.0  # a loaded machine slows the imports of a start


def pinning() -> bool:
    """Server on one core, driver on the other: where taskset exists and there are two cores."""
    return shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2


def pinned(command: list[str], cores: str | None) -> list[str]:
    return ["taskset", "-c", cores, *command] if cores is not None else command


def usernames(count: int) -> list[str]:
    return [f"bench{i}" for i in range(count)]


async def _discovery(url: str) -> dict:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/.well-known/openid-configuration") as response:
        return await response.json()


@contextlib.asynccontextmanager
async def postgres_database(admin_url: str):
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    import asyncpg
    plain = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"idp_bench_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        connection = await asyncpg.connect(plain)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


async def seed_portal(database_url: str, accounts: list[str], secret: str) -> None:
    """The portal's operators' way: migrate, then accounts hashed at the production argon2id
    parameters, and one confidential client for all three grant types."""
    env = {**os.environ, "IDP_DATABASE_URL": database_url}
    subprocess.run([sys.executable, "-m", "idp.cli", "migrate"], cwd=PROJECT_ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    defaults = Settings()
    passwords = Passwords(memory_kib=defaults.argon2_memory_kib, time_cost=defaults.argon2_time_cost,
                          parallelism=defaults.argon2_parallelism)
    async with admin_session(database_url) as db:
        for i, username in enumerate(accounts):
            await create_account(db, passwords, username=username, password=PASSWORD, name="张三",
                                 account_type="personal", mobile=f"139{i:08d}", email=f"{username}@example.com")
    await register_client(database_url, CLIENT_ID, redirect_uris=[REDIRECT_URI], secret=secret,
                          grant_types=["authorization_code", "refresh_token", "client_credentials"],
                          scopes=["openid", "profile", "offline_access"])


@contextlib.asynccontextmanager
async def portal(name: str, database_url: str, log_dir: Path, *, accounts: int, workers: int = 1,
                 cores: str | None = None):
    """The portal production-like: uvicorn, logging at warning, production argon2id parameters,
    its background worker; but the test captcha provider (a benchmark cannot read an image)."""
    secret = secrets.token_urlsafe(32)
    names = usernames(accounts)
    await seed_portal(database_url, names, secret)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    defaults = Settings()
    env = portal_environment(database_url, url, IDP_LOG_LEVEL="warning", IDP_AUTO_MIGRATE="false",
                             IDP_ARGON2_MEMORY_KIB=str(defaults.argon2_memory_kib),
                             IDP_ARGON2_TIME_COST=str(defaults.argon2_time_cost),
                             IDP_ARGON2_PARALLELISM=str(defaults.argon2_parallelism),
                             IDP_AUTHORIZATION_CODE_TTL_SECONDS=CODE_TTL_SECONDS,
                             # Thousands of logins from one address and a few accounts: the limits
                             # are still checked (their cost is measured), never reached.
                             IDP_RATE_LIMITS="login_per_address=10000000/600,login_per_account=10000000/600")
    command = uvicorn_command(APP, port, log_level="warning", access_log=False, workers=workers)
    server = await processes.start(name, pinned(command, cores), port=port, env=env, log_path=log_dir / f"{name}.log",
                                   probe=DISCOVERY, timeout=READY_TIMEOUT)
    try:
        yield Target(name=name, base_url=url, pid=server.process.pid, client_id=CLIENT_ID, client_secret=secret,
                     redirect_uri=REDIRECT_URI, usernames=names, password=PASSWORD,
                     login_action=re.compile(r'action="(/login)"'), login_fields={"window": "personal"},
                     login_start=f"{url}/login?window=personal", endpoints=await _discovery(url))
    finally:
        await processes.stop(server, timeout=15)


@contextlib.asynccontextmanager
async def peer(log_dir: Path, *, accounts: int, cores: str | None = None):
    """node's oidc-provider from bench/peer (npm ci has installed it)."""
    secret = secrets.token_urlsafe(32)
    names = usernames(accounts)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    defaults = Settings()
    env = {**os.environ, "NODE_ENV": "production", "PEER_PORT": str(port), "PEER_CLIENT_ID": CLIENT_ID,
           "PEER_CLIENT_SECRET": secret, "PEER_REDIRECT_URI": REDIRECT_URI, "PEER_USERNAMES": ",".join(names),
           "PEER_PASSWORD": PASSWORD, "PEER_ARGON2_MEMORY_KIB": str(defaults.argon2_memory_kib),
           "PEER_ARGON2_TIME_COST": str(defaults.argon2_time_cost),
           "PEER_ARGON2_PARALLELISM": str(defaults.argon2_parallelism), "PEER_CODE_TTL_SECONDS": CODE_TTL_SECONDS}
    server = await processes.start("peer", pinned(["node", "server.js"], cores), port=port, env=env,
                                   log_path=log_dir / "peer.log", probe=DISCOVERY, timeout=READY_TIMEOUT, cwd=PEER_DIR)
    try:
        endpoints = await _discovery(url)
        target = Target(name="peer", base_url=url, pid=server.process.pid, client_id=CLIENT_ID, client_secret=secret,
                        redirect_uri=REDIRECT_URI, usernames=names, password=PASSWORD,
                        login_action=re.compile(r'action="(/interaction/[^"]+/login)"'), endpoints=endpoints)
        # The peer has no login page of its own: its login is an authorization request's interaction.
        target.login_start = target.authorization_request()[0]
        yield target
    finally:
        await processes.stop(server, timeout=15)
