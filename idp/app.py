"""The portal application: ``create_app(settings)``; nothing is made at import time."""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from idp.background import run_background
from idp.captcha import routes as captcha
from idp.db import group_commit
from idp.db.engine import create_engine, create_sessionmaker
from idp.db.migrate import upgrade_to_head
from idp.db.ops import lock_for_transaction
from idp.dev import ctid as ctid_app, routes as dev_pages
from idp.flows.login import agent_choice, routes as login_flow, second_factor
from idp.flows.recovery import routes as recovery
from idp.flows.registration import routes as registration
from idp.flows.unlock import routes as unlock
from idp.flows.upgrade import routes as upgrade
from idp.flows.upstream import routes as upstream_login
from idp.help.loader import load_library
from idp.keys.store import ensure_signing_keys
from idp.limits.backends import close_redis_counters
from idp.limits.rates import check_limit_names
from idp.oidc import discovery, introspection, par_endpoint, revocation, token_endpoint, userinfo
from idp.oidc.client_registration import load_catalogue
from idp.oidc.logout.single_logout import wait_for_background_deliveries
from idp.personal_data.loading import open_personal_data
from idp.portal import Portal
from idp.public_services.catalogue import load_services
from idp.settings import Settings
from idp.web import (
    authorize,
    binding_api,
    consent,
    help as help_pages,
    login,
    logout as rp_initiated,
    operations,
    services as public_services,
    sso as third_party_login,
)
from idp.web.consultations import pages as consultations
from idp.web.fresh_keys import FreshPersonalDataKeys
from idp.web.kit import NotSignedIn, login_redirect
from idp.web.pages import name_site, refusal_page
from idp.web.space import (
    agents,
    bindings,
    closure as space_closure,
    devices as space_devices,
    feedback as space_feedback,
    messages as space_messages,
    personal_data as space_personal_data,
    settings as space,
    upstream_link as space_upstream,
)
from idp.web.staff import (
    admin as staff_admin,
    audit as staff_audit,
    binding_requests,
    consultations as staff_consultations,
    home as staff_home,
    login as staff_login,
    ops as staff_ops,
    ops_api as staff_ops_api,
)
from idp.web.staff.kit import MissingRole, missing_role_page
from shared.access_log import drop_query_strings_from_access_log
from shared.exact_routes import ExactRoutes, exact_table
from shared.forwarded import TrustedProxies
from shared.gc_tuning import freeze_startup_heap
from shared.logs import configure_logging
from shared.metrics import HttpMetrics
from shared.refusals import Refusal
from shared.request_id import RequestId, forward_on
from shared.security_headers import SecurityHeaders

log = logging.getLogger(__name__)


async def start_portal(settings: Settings, *, http: httpx.AsyncClient | None = None) -> Portal:
    """Open the database, migrate if asked, make keys and load the catalogue."""
    settings.check_production()
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size,
                           max_overflow=settings.database_max_overflow)
    if settings.auto_migrate:
        await upgrade_to_head(engine, settings)
    portal = Portal.build(settings, engine, create_sessionmaker(engine), forward_on(http or httpx.AsyncClient()))
    async with portal.sessionmaker.begin() as db:
        # Replicas starting together would each create keys and insert the catalogue's rows.
        await lock_for_transaction(db, "idp.startup")
        await open_personal_data(db, settings, *portal.engines)
        portal.personal_keys_loaded_at = time.monotonic()
        await ensure_signing_keys(db, settings)
        await load_catalogue(db, settings.catalogue_path, production=settings.is_production)
    return portal


def create_app(settings: Settings | None = None, *, http: httpx.AsyncClient | None = None) -> FastAPI:
    settings = settings or Settings()
    check_limit_names(settings)  # a misspelt IDP_RATE_LIMITS entry would otherwise limit nothing
    configure_logging(settings.log_level, settings.effective_log_format)
    drop_query_strings_from_access_log()  # id_token_hint at /logout and /authorize

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        portal = await start_portal(settings, http=http)
        app.state.portal = portal
        worker = asyncio.create_task(run_background(portal)) if settings.background_worker else None
        freeze_startup_heap()  # no multi-hundred-millisecond full collections while serving (shared/gc_tuning.py)
        try:
            yield
        finally:
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            # A logout's delivery already under way finishes; the outbox row covers the rest.
            await wait_for_background_deliveries()
            if http is None:
                await portal.http.aclose()
            await group_commit.flush(portal.engine)  # token rows queued: written before the pool closes
            await portal.engine.dispose()
            await close_redis_counters()

    name_site(settings.site_name)
    # No OpenTelemetry (metrics are Prometheus's, shared.metrics): FastAPI's native telemetry
    # otherwise asks the global providers whether they are configured on every request.
    app = FastAPI(title="政务服务门户", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None,
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.help = load_library()  # 常见问题 and 新手指导: a malformed data file stops the start here
    app.state.public_services = load_services(settings.services_path)  # 公共服务's 事项, checked likewise
    # space_devices, space_upstream, space_personal_data, space_closure before space:
    # /space/settings/devices, …/upstream, …/personal-data, …/close would otherwise reach space's /space/settings/{key}.
    routers = [module.router for module in (
        operations, discovery, authorize, par_endpoint, token_endpoint, userinfo, introspection, revocation,
        rp_initiated, third_party_login, captcha, login_flow, upstream_login, agent_choice, second_factor,
        consent, login, space_devices, space_upstream, space_personal_data, space_closure, space, bindings,
        agents, binding_api, unlock, recovery, registration, upgrade, space_messages, help_pages,
        staff_login, staff_home, staff_admin, space_feedback, consultations, staff_consultations,
        binding_requests, staff_audit, staff_ops, staff_ops_api, public_services)]
    for router in routers:
        app.include_router(router)
    if not settings.is_production:
        app.include_router(dev_pages.router)  # /dev/messages shows the development sink's codes
        app.include_router(ctid_app.router)  # /dev/ctid plays the CTID app for the 三级 stand-in
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static")

    # A signed-in page without a session. Starlette types handlers as taking Exception; this one takes its subclass.
    app.add_exception_handler(NotSignedIn, login_redirect)  # type: ignore[arg-type]
    app.add_exception_handler(MissingRole, missing_role_page)  # type: ignore[arg-type]  # 403 in the console

    @app.exception_handler(Refusal)
    async def refused(_request: Request, exc: Refusal) -> Response:
        return refusal_page(exc)

    # Innermost: the protocol endpoints (plain routes of fixed paths) by a dictionary lookup,
    # every other request on to FastAPI's exception middleware and router.
    app.add_middleware(ExactRoutes, table=exact_table(itertools.chain.from_iterable(r.routes for r in routers)),
                       exception_handlers=app.exception_handlers)
    app.add_middleware(FreshPersonalDataKeys, state=app.state)
    app.add_middleware(SecurityHeaders, hsts=settings.is_production)
    app.add_middleware(HttpMetrics)  # by route template: after routing has set it on the scope
    app.add_middleware(RequestId)  # every line logged while serving carries the id
    # Outermost: the address behind our own proxies is the one everything else reads.
    app.add_middleware(TrustedProxies, networks=settings.trusted_proxy_networks)
    return app
