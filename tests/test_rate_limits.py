"""Rate limits (idp.limits.rates) over HTTP: per source address and per account, the portal's own
message with 429 and Retry-After, one budget for every instance on one database, parallel
attempts never past a budget, and X-Forwarded-For believed from trusted proxies only."""
from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.metrics import RATE_LIMITED
from idp.staff.roles import ADMIN
from shared.messages import text
from tests.support.login import alert, attempt, open_login
from tests.support.portal import Browser, running_portal
from tests.support.selfservice import error_of, request_code
from tests.support.staff import add_staff, alert as staff_alert, post_password

TOO_MANY = text("limits.too_many", minutes=10)


@contextlib.asynccontextmanager
async def portal_with(database_url: str, **overrides):
    async with running_portal(database_url, **overrides) as put:
        await put.add_account("zhangsan", mobile="13800138000")
        browser = Browser(put)
        try:
            yield put, browser
        finally:
            await browser.aclose()


def assert_refused(response, window_seconds: int, message: str = TOO_MANY) -> None:
    assert response.status_code == 429, response.text[:300]
    assert 0 < int(response.headers["Retry-After"]) <= window_seconds
    assert alert(response) == message or error_of(response) == message
    assert "<form" in response.text  # the same page again, not a bare error


async def test_logins_from_one_address_stop_at_the_budget_with_retry_after(database_url):
    async with portal_with(database_url, rate_limits="login_per_address=3/600") as (put, browser):
        before = RATE_LIMITED.labels("login_per_address")._value.get()
        for name in ("a1", "a2", "a3"):  # different names: the per-address budget alone
            assert (await attempt(browser, await open_login(browser), name, "Wrong@2026x")).status_code == 200
        refused = await attempt(browser, await open_login(browser), "zhangsan")  # even the right password
        assert_refused(refused, 600)
        assert RATE_LIMITED.labels("login_per_address")._value.get() == before + 1
        assert (await browser.client.get("/healthz")).status_code == 200  # probes are never limited


async def test_logins_naming_one_account_stop_at_its_budget_whatever_the_address(database_url):
    async with portal_with(database_url, rate_limits="login_per_account=2/600") as (put, browser):
        for _ in range(2):
            await attempt(browser, await open_login(browser), "zhangsan", "Wrong@2026x")
        assert_refused(await attempt(browser, await open_login(browser), "zhangsan"), 600)
        # another account from the same address is not held up by zhangsan's budget
        assert (await attempt(browser, await open_login(browser), "lisi")).status_code == 200


async def test_two_instances_on_one_database_share_one_budget(database_url):
    limits = "login_per_address=4/600"
    async with portal_with(database_url, rate_limits=limits) as (_first, one), \
            running_portal(database_url, rate_limits=limits) as second:
        other = Browser(second)
        try:
            for browser in (one, other, one, other):
                assert (await attempt(browser, await open_login(browser), "nobody")).status_code == 200
            assert_refused(await attempt(other, await open_login(other), "nobody"), 600)
            assert_refused(await attempt(one, await open_login(one), "nobody"), 600)
        finally:
            await other.aclose()


async def test_parallel_attempts_never_pass_the_budget(database_url):
    async with portal_with(database_url, rate_limits="login_per_address=5/600") as (put, browser):
        pages = [await open_login(browser) for _ in range(20)]
        responses = await asyncio.gather(*(attempt(browser, page, f"user{i}", "Wrong@2026x")
                                           for i, page in enumerate(pages)))
        assert sorted(r.status_code for r in responses) == [200] * 5 + [429] * 15


async def test_a_forged_forwarded_for_is_ignored_without_trusted_proxies(database_url):
    async with portal_with(database_url, rate_limits="login_per_address=2/600") as (put, browser):
        for n in range(2):
            browser.client.headers["X-Forwarded-For"] = f"198.51.100.{n}"
            await attempt(browser, await open_login(browser), "nobody")
        browser.client.headers["X-Forwarded-For"] = "198.51.100.99"
        assert_refused(await attempt(browser, await open_login(browser), "nobody"), 600)


async def test_behind_a_trusted_proxy_the_forwarded_client_counts_and_is_recorded(database_url):
    # The test transport's peer is 127.0.0.1: here it is our proxy.
    async with portal_with(database_url, rate_limits="login_per_address=2/600",
                           trusted_proxies="127.0.0.0/8") as (put, browser):
        browser.client.headers["X-Forwarded-For"] = "203.0.113.7, 198.51.100.1"  # a forged hop left of the real
        for _ in range(2):
            await attempt(browser, await open_login(browser), "zhangsan", "Wrong@2026x")
        assert_refused(await attempt(browser, await open_login(browser), "nobody"), 600)
        browser.client.headers["X-Forwarded-For"] = "203.0.113.7, 198.51.100.2"  # another client
        assert (await attempt(browser, await open_login(browser), "nobody")).status_code == 200
        async with put.portal.reader() as db:
            addresses = set((await db.scalars(select(AuditEvent.source_ip)
                                               .where(AuditEvent.event == "login.failed"))).all())
        assert addresses == {"198.51.100.1", "198.51.100.2"}


@pytest.mark.parametrize("path, action, limit", [
    ("/unlock", "/unlock/send", "unlock_per_address"),
    ("/recovery", "/recovery/identity", "recovery_per_address"),
    ("/register/personal", "/register/personal", "registration_per_address"),
])
async def test_each_self_service_form_has_its_address_budget(database_url, path, action, limit):
    async with portal_with(database_url, rate_limits=f"{limit}=1/3600") as (put, browser):
        first = await browser.go(path)
        assert (await browser.submit(first, action)).status_code != 429  # bad input: counted all the same
        page = await browser.go(path)
        refused = await browser.submit(page, action)
        assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600
        assert text("limits.too_many", minutes=60) in refused.text


async def test_codes_requested_from_one_address_stop_at_its_budget(database_url):
    async with portal_with(database_url, rate_limits="codes_per_address=2/3600") as (put, browser):
        for n in range(2):  # other names and numbers each time: only the address is common
            await request_code(browser, "/unlock", username=f"u{n}", channel="sms", destination=f"1390013900{n}")
        refused = await request_code(browser, "/unlock", username="zhangsan", channel="sms",
                                     destination="13800138000")
        assert_refused(refused, 3600, text("code.too_many_sends", minutes=60))


async def test_staff_sign_in_attempts_naming_one_member_stop_at_its_budget(database_url):
    async with portal_with(database_url, rate_limits="staff_login_per_account=2/600") as (put, browser):
        await add_staff(put, "ops", ADMIN)
        async with put.http() as staff:
            for _ in range(2):
                assert (await post_password(staff, "ops", "Wrong@2026x")).status_code == 400
            refused = await post_password(staff, "ops")  # the right password: refused all the same
            assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 600
            assert staff_alert(refused) == TOO_MANY
