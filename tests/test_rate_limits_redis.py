"""Rate limits with their counters in Redis (IDP_RATE_LIMIT_REDIS_URL): the same budgets, shared by
two instances, never passed by parallel attempts.

Runs against the Redis named by TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0) and is skipped
when none is configured. Redis keeps its counters between tests, so each test is a client of its
own: behind a trusted proxy (the test transport's 127.0.0.1), with a fresh forwarded address."""
from __future__ import annotations

import asyncio
import os
import secrets

import pytest
from sqlalchemy import func, select

from idp.limits.models import WindowCounter
from tests.support.login import attempt, open_login
from tests.support.portal import Browser, running_portal
from tests.test_rate_limits import assert_refused

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (no Redis to test against)")


def fresh_client() -> str:
    return f"198.51.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def settings(**limits) -> dict:
    return dict(rate_limit_redis_url=REDIS_URL, trusted_proxies="127.0.0.0/8",
                rate_limits=",".join(f"{name}={budget}" for name, budget in limits.items()))


def as_client(browser: Browser, address: str) -> Browser:
    browser.client.headers["X-Forwarded-For"] = address
    return browser


async def test_two_instances_share_one_budget_in_redis(database_url):
    address = fresh_client()
    overrides = settings(login_per_address="3/600")
    async with running_portal(database_url, **overrides) as first, running_portal(database_url, **overrides) as second:
        one, other = as_client(Browser(first), address), as_client(Browser(second), address)
        try:
            for browser in (one, other, one):
                assert (await attempt(browser, await open_login(browser), "nobody")).status_code == 200
            assert_refused(await attempt(other, await open_login(other), "nobody"), 600)
            async with first.portal.reader() as db:  # counted in Redis, not in the database
                assert await db.scalar(select(func.count()).select_from(WindowCounter)) == 0
        finally:
            await one.aclose()
            await other.aclose()


async def test_parallel_attempts_never_pass_the_budget_in_redis(database_url):
    async with running_portal(database_url, **settings(login_per_address="5/600")) as put:
        browser = as_client(Browser(put), fresh_client())
        try:
            pages = [await open_login(browser) for _ in range(20)]
            responses = await asyncio.gather(*(attempt(browser, page, f"user{i}", "Wrong@2026x")
                                               for i, page in enumerate(pages)))
            assert sorted(r.status_code for r in responses) == [200] * 5 + [429] * 15
        finally:
            await browser.aclose()
