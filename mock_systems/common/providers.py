"""A second identity provider trusted by one business system (the drug system trusts the
portal and the supervision portal, docs/integration.md "Trusting two providers").

Each provider has its own client registration, discovery, JWKS and settings: a
:class:`SystemContext` of its own that shares the system's database, profile and HTTP client
but holds the provider's :class:`SystemSettings` (issuer, client id and secret, and a base URL
under ``prefix``) and its own :class:`PortalClient`. The endpoints a provider calls or sends
the browser to — login and callback, 授权绑定's start page and binding API, back-channel
logout — are mounted again under ``prefix`` as a sub-application whose ``state.system`` is that
context, so the common code serves both providers unchanged. Links, binding records, outbox
calls, logins in progress and sessions carry the issuer (common/models.py), so a subject or a
state of one provider never counts at the other.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses

from fastapi import FastAPI, Request
from starlette.responses import Response

from mock_systems.common import backchannel, binding_api, binding_start, portal_login
from mock_systems.common.binding_outbox import run_outbox
from mock_systems.common.context import SystemContext
from mock_systems.common.pages import refusal_page
from mock_systems.common.portal_client import PortalClient
from mock_systems.common.settings import SystemSettings
from shared.refusals import Refusal

PROVIDER_ROUTERS = (portal_login.router, binding_start.router, binding_api.router, backchannel.router)


def provider_context(system: SystemContext, name: str, settings: SystemSettings) -> SystemContext:
    """The system as the relying party of another provider: same database, its own settings and client."""
    return dataclasses.replace(system, settings=settings, portal=PortalClient(settings, system.http), provider=name)


async def _refused(request: Request, exc: Refusal) -> Response:
    return refusal_page(request.app.state.system, exc)


def attach_provider(app: FastAPI, name: str, prefix: str, settings: SystemSettings) -> None:
    """Serve the provider ``name`` under ``prefix`` of ``app`` (its base_url must end with the
    prefix): its context is built when the app starts, stored as ``app.state.providers[name]``,
    and its outbox of binding calls runs for the app's lifetime."""
    if not settings.base_url.endswith(prefix):
        raise ValueError(f"the {name} provider's base_url must end with {prefix}")
    sub = FastAPI(title=name, docs_url=None, redoc_url=None, openapi_url=None)
    for router in PROVIDER_ROUTERS:
        sub.include_router(router)
    sub.add_exception_handler(Refusal, _refused)  # type: ignore[arg-type]  # Starlette types handlers for Exception
    app.mount(prefix, sub)
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(outer: FastAPI):
        async with inner(outer) as state:
            context = provider_context(outer.state.system, name, settings)
            sub.state.system = context
            if not hasattr(outer.state, "providers"):
                outer.state.providers = {}
            outer.state.providers[name] = context
            task = asyncio.create_task(run_outbox(context), name=f"{name} binding outbox")
            try:
                yield state
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan

