"""A business system's /healthz, /readyz and /metrics (mock_systems/common/operations.py), its
request id and its logs: the same as the portal's, on the system's own database."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import secrets

import httpx

from mock_systems.common.db import create_engine
from mock_systems.udi import PROFILE
from shared.logs import installed_handler
from shared.request_id import HEADER
from tests.support.portal import Browser
from tests.support.server_errors import server_error_expected
from tests.support.systems import running_system, sso

UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"


async def test_healthz_and_readyz_answer_and_set_no_cookie(udi, udi_browser):
    health = await udi_browser.get("/healthz")
    ready = await udi_browser.get("/readyz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "checks": {"database": "ok"}}
    assert "set-cookie" not in health.headers and "set-cookie" not in ready.headers
    assert not udi_browser.cookies


async def test_readyz_is_503_when_its_database_is_unreachable(udi, udi_browser, monkeypatch):
    monkeypatch.setattr(udi.system, "engine", create_engine(UNREACHABLE))
    with server_error_expected(503, "/readyz"):
        response = await udi_browser.get("/readyz")
    await udi.system.engine.dispose()
    assert response.status_code == 503 and response.json()["failed"] == ["database"]
    assert (await udi_browser.get("/healthz")).status_code == 200


async def test_metrics_count_its_requests_by_route_template(udi, udi_browser):
    await udi_browser.get("/no/such/" + secrets.token_hex(6))
    response = await udi_browser.get("/metrics")
    assert response.status_code == 200 and "set-cookie" not in response.headers
    assert 'http_requests_total{method="GET",route="unmatched",status="404"}' in response.text
    assert "system_binding_outbox_backlog 0.0" in response.text
    assert 'db_pool_size{pool="system"} 5.0' in response.text  # SQLAlchemy's default pool, file or server


async def test_a_metrics_token_digest_closes_metrics_to_everyone_else(put, system_database_url):
    token = secrets.token_urlsafe(24)
    digest = hashlib.sha256(token.encode()).hexdigest()
    async with running_system(put, PROFILE, system_database_url, metrics_token_digest=digest) as system:
        async with system.browser() as browser:
            refused = await browser.get("/metrics")
            allowed = await browser.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and "http_requests_total" not in refused.text
    assert allowed.status_code == 200 and "http_requests_total" in allowed.text


async def test_its_log_lines_carry_the_request_id_of_the_request_they_were_written_for(put, system_database_url):
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        async with running_system(put, PROFILE, system_database_url, log_format="json") as system:
            buffer = io.StringIO()
            installed_handler().setStream(buffer)
            async with system.browser() as browser:
                response = await browser.post("/auth/backchannel-logout", data={"logout_token": "not-a-token"},
                                              headers={HEADER: "system-trace-1"})
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert response.headers[HEADER] == "system-trace-1"
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    [refused] = [line for line in lines if line["logger"] == "mock_systems.common.backchannel"]
    assert refused["request_id"] == "system-trace-1" and refused["level"] == "warning"


class Recording(httpx.AsyncBaseTransport):
    """The system's way to the portal, noting each request's path and X-Request-ID."""

    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner, self.seen = inner, []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url.path, request.headers.get(HEADER)))
        return await self.inner.handle_async_request(request)


async def test_its_calls_to_the_portal_carry_the_request_id_they_were_made_for(put, system_database_url):
    transports = []

    def recording(inner):
        transports.append(Recording(inner))
        return transports[0]

    async with running_system(put, PROFILE, system_database_url, portal_transport=recording) as system:
        await system.link(put.account.subject, "udi_demo")
        portal_browser = Browser(put)
        async with system.browser(headers={HEADER: "sso-trace-1"}) as browser:
            home = await sso(browser, portal_browser)
        await portal_browser.aclose()
    assert home.status_code in (200, 303)
    assert ("/token", "sso-trace-1") in transports[0].seen
