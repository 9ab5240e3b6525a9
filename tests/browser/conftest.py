"""Real-browser fixtures: Debian's chromium driven by Playwright against a live portal process.

- ``chromium``: one headless browser for the whole run (``/usr/bin/chromium``; Playwright never
  downloads a browser here — ``make test`` installs the Debian package when it is missing).
- ``portal``: a uvicorn process on a fresh database (SQLite, or PostgreSQL under
  TEST_DATABASE_URL) with the test captcha provider, so every captcha's answer is "TEST", and
  the development message sink behind /dev/messages.
- ``page``: a fresh browser context per test (no cookies carried over), based at the portal.
- ``shot``: ``await shot(page, "step")`` keeps a full-page PNG in
  test-output/screenshots/<test>/<step>.png; a failing test also keeps ``failure.png``.

Everything asynchronous here runs on the session's event loop, since Playwright's objects belong
to the loop that made them: each test module says ``pytestmark = ON_BROWSER_LOOP`` (tests/browser/steps.py).
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Page, async_playwright

from idp.settings import PROJECT_ROOT
from tests.support import live

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
STEP_TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report (the page fixture screenshots a failure) and add the portal's
    log to a failing test's report."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    running = item.funcargs.get("portal") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(running, Portal):
        report.sections.append(("portal log", running.process.log_tail(60)))
    return report


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium():
    assert CHROMIUM.exists(), "Debian's chromium is missing: run `make browser` (apt-get install chromium)"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Portal:
    """The running portal and the database it uses."""

    process: live.LivePortal
    database_url: str

    @property
    def url(self) -> str:
        return self.process.url


@pytest_asyncio.fixture(loop_scope="session")
async def portal(databases, tmp_path):
    database_url = await databases.fresh()
    process = await live.start(database_url, tmp_path, IDP_AUTO_MIGRATE="false", IDP_CAPTCHA_PROVIDER="test",
                               IDP_MESSAGE_SINK="development")
    try:
        yield Portal(process, database_url)
    finally:
        await live.stop(process)


def _test_folder(request) -> Path:
    return SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)


@pytest_asyncio.fixture(loop_scope="session")
async def page(chromium, portal, request) -> Page:
    shutil.rmtree(_test_folder(request), ignore_errors=True)  # no pictures left from an earlier run
    context = await chromium.new_context(base_url=portal.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = await context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            folder = _test_folder(request)
            folder.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=folder / "failure.png", full_page=True)
        await context.close()


@pytest.fixture
def shot(request):
    """``await shot(page, "step")``: a full-page screenshot under the test's own folder."""
    folder = _test_folder(request)
    taken: list[str] = []

    async def take(page: Page, step: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        taken.append(step)
        path = folder / f"{len(taken):02d}-{step}.png"
        await page.screenshot(path=path, full_page=True)
        return path

    return take
