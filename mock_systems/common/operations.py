"""A business system's operator endpoints, as the portal's (docs/operations.md): /healthz (the
process answers), /readyz (its own database answers within two seconds; 503 naming it otherwise)
and /metrics (open unless ``<PREFIX>METRICS_TOKEN_DIGEST`` holds the SHA-256 of a bearer token).
None of them reads or sets a cookie or starts a session."""
from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select, text
from starlette.responses import Response

from mock_systems.common.context import SystemContext
from mock_systems.common.models import OutboxMessage
from shared.metrics import CONTENT_TYPE, bearer_allowed, exposition, pool_families

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}
TIMEOUT_SECONDS = 2.0


async def _ping(system: SystemContext) -> None:
    async with system.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


@router.get("/healthz")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    try:
        await asyncio.wait_for(_ping(request.app.state.system), TIMEOUT_SECONDS)
    except Exception:  # unreachable or too slow: not ready, whatever the reason
        return JSONResponse({"status": "not ready", "failed": ["database"], "checks": {"database": "failed"}},
                            status_code=503, headers=NO_STORE)
    return JSONResponse({"status": "ready", "checks": {"database": "ok"}}, headers=NO_STORE)


async def _sampled(system: SystemContext) -> list[Metric]:
    families = pool_families({"system": system.engine})
    try:
        async with system.sessionmaker() as db:
            backlog = await asyncio.wait_for(db.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))),
                TIMEOUT_SECONDS)
    except Exception:  # the database is down: /readyz says so; the scrape still answers
        return families
    families.append(GaugeMetricFamily("system_binding_outbox_backlog",
                                      "Binding calls owed to the portal, not yet delivered", value=backlog or 0))
    return families


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    digest = system.settings.metrics_token_digest
    if digest and not bearer_allowed(request.headers.get("authorization"), digest):
        return Response(status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"', **NO_STORE})
    return Response(exposition(await _sampled(system)), media_type=CONTENT_TYPE, headers=NO_STORE)
