"""Prometheus metrics shared by the portal and the business systems (prometheus-client).

- :class:`HttpMetrics`, pure ASGI middleware: ``http_requests_total{method, route, status}`` and
  ``http_request_duration_seconds{method, route}``. ``route`` is the matched route's template
  (``/space/agents/{agency_id:row_id}``), never the raw path; a path no route matches is the one
  value ``unmatched``, and a method outside HTTP's usual ones is ``other``: whatever a client sends,
  the label values stay a fixed, small set and carry no user data.
- :func:`pool_families`: the connection pool of an engine, read when scraped.
- :func:`exposition`: the process's registry (these counters, the application's own, the
  process collector's CPU and memory) followed by families read at scrape time for this one
  application, in Prometheus's text format.
- :func:`bearer_allowed`: /metrics behind a bearer token whose SHA-256 (hex) is a setting.

Each process exposes its own metrics: with several uvicorn workers, or several instances, each
is scraped on its own (docs/operations.md, "Metrics").
"""
from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Mount

# No "<name>_created" series beside every counter: a start time per label set that Prometheus's
# text format does not need (process_start_time_seconds says when the process started).
disable_created_metrics()

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests answered, by route template and status",
                        ("method", "route", "status"))
HTTP_DURATION = Histogram("http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                          ("method", "route"))
# (method, route, status) -> the two series a request adds to: ``labels()`` locks, converts and
# looks up on every call. As bounded as the label values themselves (a fixed, small set).
_SERIES: dict[tuple[str, str, int], tuple] = {}


def _series(method: str, route: str, status: int) -> tuple:
    key = (method, route, status)
    series = _SERIES.get(key)
    if series is None:
        series = _SERIES[key] = (HTTP_REQUESTS.labels(method, route, str(status)), HTTP_DURATION.labels(method, route))
    return series


def clear_http_metrics() -> None:
    """Forget every request series (tests that count label values from a clean start)."""
    HTTP_REQUESTS.clear()
    HTTP_DURATION.clear()
    _SERIES.clear()


def route_template(scope, root_path: str = "") -> str:
    """The template of the route routing chose (the project's routers have no prefixes, so a
    route's path is the whole template); a mounted application (/static) is its mount path and
    ``/{path}``, found by how routing extended ``root_path`` from its value before routing."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path + "/{path}" if isinstance(route, Mount) else path
    mounted = scope.get("root_path", "")
    if route is None and "endpoint" in scope and mounted.startswith(root_path) and mounted != root_path:
        return mounted[len(root_path):] + "/{path}"
    return UNMATCHED


class HttpMetrics:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, root_path = time.perf_counter(), scope.get("root_path", "")
        status = 500  # an exception with no response sent is what a server answers with

        async def send_and_note(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            requests, duration = _series(method, route_template(scope, root_path), status)
            requests.inc()
            duration.observe(time.perf_counter() - started)


def pool_families(engines: dict[str, AsyncEngine]) -> list[Metric]:
    """Connections of each named engine's pool, where SQLAlchemy's pool counts them (QueuePool;
    a NullPool keeps none, so it has nothing to report)."""
    in_use = GaugeMetricFamily("db_pool_connections_in_use", "Connections checked out of the pool", labels=["pool"])
    idle = GaugeMetricFamily("db_pool_connections_idle", "Open connections waiting in the pool", labels=["pool"])
    size = GaugeMetricFamily("db_pool_size", "The pool's configured size (overflow not included)", labels=["pool"])
    for name, engine in engines.items():
        pool = engine.sync_engine.pool
        if all(hasattr(pool, attribute) for attribute in ("checkedout", "checkedin", "size")):
            in_use.add_metric([name], pool.checkedout())  # type: ignore[attr-defined]  # QueuePool's
            idle.add_metric([name], pool.checkedin())  # type: ignore[attr-defined]
            size.add_metric([name], pool.size())  # type: ignore[attr-defined]
    return [in_use, idle, size]


class _Sampled(Collector):
    def __init__(self, families: Iterable[Metric]):
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


def exposition(sampled: Iterable[Metric] = ()) -> bytes:
    """The process's metrics, then ``sampled`` (read for this scrape, for this application)."""
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_Sampled(sampled))
    return generate_latest(REGISTRY) + generate_latest(scrape)


def bearer_allowed(authorization: str | None, token_digest: str) -> bool:
    """``Authorization: Bearer <token>`` whose SHA-256 (hex) is ``token_digest``, compared in
    constant time."""
    if not token_digest or not authorization or not authorization.lower().startswith("bearer "):
        return False
    presented = hashlib.sha256(authorization[7:].strip().encode()).hexdigest()
    return hmac.compare_digest(presented, token_digest.strip().lower())
