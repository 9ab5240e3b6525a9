"""A business system (mock_systems) as a real uvicorn process, the way `make run` starts it:
``python -m uvicorn mock_systems.<module>:create_app --factory`` on a loopback port, configured
by its BIZ_<ID>_ environment variables. Pairs with tests.support.live's portal processes."""
from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from mock_systems.common import SystemProfile
from mock_systems.common.db import create_engine, create_sessionmaker, utcnow
from mock_systems.common.models import LinkKind, LocalAccount, PortalLink
from shared.processes import ServerProcess, start, stop, uvicorn_command

CAPTCHA = "TEST"


@dataclass(kw_only=True)
class LiveSystem(ServerProcess):
    """One running business-system process (shared.processes) and its database."""

    profile: SystemProfile
    database_url: str
    issuer: str

    async def link(self, portal_subject: str, username: str) -> None:
        """Link in the system's database directly, as the binding will."""
        engine = create_engine(self.database_url)
        try:
            async with create_sessionmaker(engine).begin() as db:
                account_id = await db.scalar(select(LocalAccount.id).where(LocalAccount.username == username))
                db.add(PortalLink(issuer=self.issuer, portal_subject=portal_subject, local_account_id=account_id,
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


@contextlib.asynccontextmanager
async def live_system(module: str, profile: SystemProfile, port: int, log_dir: Path, *, issuer: str,
                      database_url: str, client_secret: str, **overrides: str):
    """Start ``mock_systems.<module>`` and wait until its home page answers; always stopped."""
    env = system_environment(profile, port=port, issuer=issuer, database_url=database_url,
                             client_secret=client_secret, **overrides)
    live = await start(profile.client_id, uvicorn_command(f"mock_systems.{module}:create_app", port), port=port,
                       env=env, log_path=log_dir / f"{profile.client_id}-{port}.log", kind=LiveSystem,
                       profile=profile, database_url=database_url, issuer=issuer)
    try:
        yield live
    finally:
        await stop(live)


@contextlib.asynccontextmanager
async def live_standin(profile: SystemProfile, port: int, log_dir: Path, *, issuer: str, database_url: str,
                       client_secret: str, **overrides: str):
    """A generic stand-in (mock_systems/standins) as `make run` serves it, alone on ``port``."""
    env = system_environment(profile, port=port, issuer=issuer, database_url=database_url,
                             client_secret=client_secret, **overrides)
    command = [sys.executable, "-m", "mock_systems.standins.serve", profile.client_id, "--port", str(port)]
    live = await start(profile.client_id, command, port=port, env=env,
                       log_path=log_dir / f"{profile.client_id}-{port}.log", kind=LiveSystem, profile=profile,
                       database_url=database_url, issuer=issuer)
    try:
        yield live
    finally:
        await stop(live)
