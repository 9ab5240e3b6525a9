"""A business system (mock_systems) as a real uvicorn process, the way `make run` starts it:
``python -m uvicorn mock_systems.<module>:create_app --factory`` on a loopback port, configured
by its BIZ_<ID>_ environment variables. Pairs with tests.support.live's portal processes."""
from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select

from mock_systems.common import SystemProfile
from mock_systems.common.db import create_engine, create_sessionmaker, utcnow
from mock_systems.common.models import LinkKind, LocalAccount, PortalLink
from mock_systems.common.settings import PROJECT_ROOT
from tests.support.live import STARTUP_TIMEOUT, stop

CAPTCHA = "TEST"


@dataclass
class LiveSystem:
    profile: SystemProfile
    port: int
    database_url: str
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def link(self, portal_subject: str, username: str) -> None:
        """Link in the system's database directly, as the binding will."""
        engine = create_engine(self.database_url)
        try:
            async with create_sessionmaker(engine).begin() as db:
                account_id = await db.scalar(select(LocalAccount.id).where(LocalAccount.username == username))
                db.add(PortalLink(portal_subject=portal_subject, local_account_id=account_id,
                                  kind=LinkKind.bound_existing, linked_at=utcnow()))
        finally:
            await engine.dispose()


def system_environment(profile: SystemProfile, *, port: int, issuer: str, database_url: str,
                       client_secret: str, **overrides: str) -> dict[str, str]:
    """The system's settings; ``overrides`` are more of them without the prefix (OUTBOX_POLL_SECONDS=…)."""
    prefix = profile.env_prefix
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIZ_")}
    env.update({
        f"{prefix}ISSUER": issuer, f"{prefix}BASE_URL": f"http://127.0.0.1:{port}",
        f"{prefix}DATABASE_URL": database_url, f"{prefix}CLIENT_SECRET": client_secret,
        f"{prefix}CAPTCHA_PROVIDER": "test", f"{prefix}CAPTCHA_TEST_ANSWER": CAPTCHA,
        f"{prefix}ARGON2_MEMORY_KIB": "64", f"{prefix}ARGON2_TIME_COST": "1",
    })
    env.update({prefix + name: value for name, value in overrides.items()})
    return env


async def _wait_ready(live: LiveSystem, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if live.process.poll() is not None:
                raise RuntimeError(f"{live.profile.client_id} exited with {live.process.returncode}:\n"
                                   f"{live.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(live.url + "/")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{live.profile.client_id} not ready within {timeout} s:\n{live.log_tail()}")


@contextlib.asynccontextmanager
async def live_system(module: str, profile: SystemProfile, port: int, log_dir: Path, *, issuer: str,
                      database_url: str, client_secret: str, **overrides: str):
    """Start ``mock_systems.<module>`` and wait until its home page answers; always stopped."""
    log_path = log_dir / f"{profile.client_id}-{port}.log"
    env = system_environment(profile, port=port, issuer=issuer, database_url=database_url,
                             client_secret=client_secret, **overrides)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", f"mock_systems.{module}:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    live = LiveSystem(profile, port, database_url, process, log_path)
    try:
        await _wait_ready(live, STARTUP_TIMEOUT)
        yield live
    finally:
        await stop(live)
