"""``create_system_app(profile, settings)``: one business system as a FastAPI application.

At start-up it opens its own database and creates its tables (create_all: see db.py), seeds
the profile's demo accounts, builds its portal client and starts the loop that delivers the
binding calls owed to the portal (binding_outbox.py); nothing is made at import time.
``routers`` lets a system (or the binding protocol) add its own pages and endpoints, and
``home_links`` links its pages from the home page. A profile's ``extension`` (extension.py)
adds the system's own routers, access gate, start-up work and background loops.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from pathlib import Path

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from mock_systems.common import (
    account_settings,
    backchannel,
    binding_api,
    binding_start,
    captcha,
    home,
    local_login,
    operations,
    portal_login,
)
from mock_systems.common.accounts import seed_demo_accounts
from mock_systems.common.binding_outbox import run_outbox
from mock_systems.common.context import SystemContext
from mock_systems.common.db import create_engine, create_sessionmaker
from mock_systems.common.extension import SystemExtension
from mock_systems.common.pages import refusal_page
from mock_systems.common.portal_client import PortalClient
from mock_systems.common.profile import SystemProfile
from mock_systems.common.schema import create_tables
from mock_systems.common.sessions import purge_expired
from mock_systems.common.settings import MissingClientSecret, SystemSettings, settings_for
from shared.access_log import drop_query_strings_from_access_log
from shared.hashing import Passwords
from shared.logs import configure_logging
from shared.metrics import HttpMetrics
from shared.refusals import Refusal
from shared.request_id import RequestId, forward_on
from shared.security_headers import SecurityHeaders

log = logging.getLogger(__name__)
COMMON_ROUTERS = (operations.router, home.router, local_login.router, captcha.router, portal_login.router,
                  backchannel.router, binding_start.router, binding_api.router, account_settings.router)


async def start_system(profile: SystemProfile, settings: SystemSettings, http: httpx.AsyncClient,
                       home_links: tuple[tuple[str, str], ...] = ()) -> SystemContext:
    engine = create_engine(settings.database_url)
    await create_tables(engine)
    system = SystemContext(
        profile=profile, settings=settings, engine=engine, sessionmaker=create_sessionmaker(engine), http=http,
        portal=PortalClient(settings, http),
        passwords=Passwords(memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost),
        home_links=home_links,
    )
    async with system.sessionmaker.begin() as db:
        await purge_expired(db)
    if settings.seed_demo_accounts:
        await seed_demo_accounts(system)
    try:
        settings.secret()
    except MissingClientSecret as exc:  # local login still works; login through the portal will not
        log.warning("%s: %s", profile.client_id, exc)
    return system


async def _refused(request: Request, exc: Refusal) -> Response:
    """A refusal nobody caught on its way up: the system's message page, in the catalogue's words."""
    return refusal_page(request.app.state.system, exc)


def create_system_app(profile: SystemProfile, settings: SystemSettings | None = None, *,
                      http: httpx.AsyncClient | None = None, routers: Iterable[APIRouter] = (),
                      home_links: Iterable[tuple[str, str]] = ()) -> FastAPI:
    settings = settings or settings_for(profile)
    configure_logging(settings.log_level, settings.log_format)
    drop_query_strings_from_access_log()  # the code at our callback, binding tokens
    extension = profile.extension or SystemExtension()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        # The request id goes on to the portal; its certificate is checked (BIZ_<ID>_CA_BUNDLE).
        client = forward_on(http or httpx.AsyncClient(verify=settings.tls_verification()))
        system = await start_system(profile, settings, client, (*extension.home_links, *home_links))
        app.state.system = system
        for start in extension.on_start:
            await start(app, system)
        tasks = [asyncio.create_task(run_outbox(system), name=f"{profile.client_id} binding outbox")]
        tasks += [asyncio.create_task(loop(system), name=f"{profile.client_id} {loop.__name__}")
                  for loop in extension.loops]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if http is None:
                await client.aclose()
            await system.engine.dispose()

    app = FastAPI(title=profile.display_name, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    for router in (*COMMON_ROUTERS, *extension.routers, *routers):
        app.include_router(router)
    app.add_exception_handler(Refusal, _refused)  # type: ignore[arg-type]  # Starlette types handlers for Exception
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.add_middleware(SecurityHeaders)  # as the portal: JSON answers and errors too, not only pages
    app.add_middleware(HttpMetrics)  # by route template, as the portal
    app.add_middleware(RequestId)  # the request id on every line logged while serving, and in the answer
    return app
