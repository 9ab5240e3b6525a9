"""The operator's endpoints: /healthz, /readyz and /metrics (docs/operations.md).

None of them reads or sets a cookie, starts a session or writes the audit log; their successful
answers stay out of the access log (shared/access_log.py).

- ``/healthz``: the process answers (no database): a liveness probe.
- ``/readyz``: 200 when the database answers, is migrated to head and signing keys are loaded;
  503 with the failed checks named otherwise: a load balancer's readiness probe.
- ``/metrics``: Prometheus's text format. Outside production it is open; in production it needs
  ``Authorization: Bearer <token>`` whose SHA-256 is IDP_METRICS_TOKEN_DIGEST, and without that
  setting it does not exist (404).
"""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from idp.operations.readiness import FAILED, OK, check_readiness
from idp.operations.sampled import sampled_families
from idp.portal import Portal
from shared.metrics import CONTENT_TYPE, bearer_allowed, exposition

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    checks = await check_readiness(request.app.state.portal)
    if any(state != OK for state in checks.values()):
        failed = [name for name, state in checks.items() if state == FAILED]
        return JSONResponse({"status": "not ready", "failed": failed, "checks": checks}, status_code=503,
                            headers=NO_STORE)
    return JSONResponse({"status": "ready", "checks": checks}, headers=NO_STORE)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    digest = portal.settings.metrics_token_digest
    if digest:
        if not bearer_allowed(request.headers.get("authorization"), digest):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"', **NO_STORE})
    elif portal.settings.is_production:
        raise HTTPException(404)  # as any path the portal does not have
    body = exposition(await sampled_families(portal))
    return Response(body, media_type=CONTENT_TYPE, headers=NO_STORE)
