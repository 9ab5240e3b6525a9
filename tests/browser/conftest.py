"""Real-browser fixtures: Debian's chromium driven by Playwright against a live portal process.

- ``chromium``: one headless browser for the whole run (``/usr/bin/chromium``; Playwright never
  downloads a browser here — ``make test`` installs the Debian package when it is missing).
- ``portal``: a uvicorn process of its own on a fresh database (SQLite, or PostgreSQL under
  TEST_DATABASE_URL) with the test captcha provider, so every captcha's answer is "TEST", and
  the development message sink behind /dev/messages (started ahead by ``PortalPool``).
- ``page``: a fresh browser context per test (no cookies carried over), based at the portal.
- ``shot``: ``await shot(page, "step")`` keeps a full-page PNG in
  test-output/screenshots/<test>/<step>.png; a failing test also keeps ``failure.png``.

Everything asynchronous here runs on the session's event loop, since Playwright's objects belong
to the loop that made them: each test module says ``pytestmark = ON_BROWSER_LOOP`` (tests/browser/steps.py).
"""
from __future__ import annotations

import asyncio
import contextlib
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


class PortalPool:
    """Each test's portal, started while the previous test runs: a process takes seconds to start,
    about as long as a test's browser steps. Every portal has a fresh database and serves one
    test only; the one started ahead for no test is stopped at the end of the run."""

    def __init__(self, databases, log_dir: Path):
        self._databases = databases
        self._log_dir = log_dir
        self._next: asyncio.Task | None = None

    async def _start(self) -> Portal:
        database_url = await self._databases.fresh()
        # A start may take long while the other test worker runs a browser too: 60 s, not 20.
        process = await live.start(database_url, self._log_dir, timeout=60, IDP_AUTO_MIGRATE="false",
                                   IDP_CAPTCHA_PROVIDER="test", IDP_MESSAGE_SINK="development")
        return Portal(process, database_url)

    async def take(self) -> Portal:
        ahead, self._next = self._next, None
        running = await (ahead or self._start())  # a start that failed fails this test only, not every later one
        # Only now: the first call migrates the template database, which two at once would race on.
        self._next = asyncio.create_task(self._start())
        return running

    async def close(self) -> None:
        if self._next is not None:
            with contextlib.suppress(Exception):
                await live.stop((await self._next).process)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def portal_pool(databases, tmp_path_factory):
    pool = PortalPool(databases, tmp_path_factory.mktemp("portals"))
    try:
        yield pool
    finally:
        await pool.close()


@pytest_asyncio.fixture(loop_scope="session")
async def portal(portal_pool):
    running = await portal_pool.take()
    try:
        yield running
    finally:
        await live.stop(running.process)


def _test_folder(request) -> Path:
    return SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)


@pytest.fixture
def console_errors() -> list[str]:
    """What the browser reported as errors while the test ran (a script error, a resource that
    failed to load, a Content-Security-Policy violation)."""
    return []


@pytest_asyncio.fixture(loop_scope="session")
async def page(chromium, portal, request, console_errors) -> Page:
    shutil.rmtree(_test_folder(request), ignore_errors=True)  # no pictures left from an earlier run
    context = await chromium.new_context(base_url=portal.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.on("console", lambda message: message.type == "error" and console_errors.append(
        f"{message.text} ({message.location.get('url', '')})"))
    context.on("weberror", lambda error: console_errors.append(str(error.error)))
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


# Layout faults a screenshot would show, checked on every page photographed.
LAYOUT_FAULTS = """() => {
    const faults = [];
    if (document.documentElement.scrollWidth > window.innerWidth)
        faults.push(`wider than the window: ${document.documentElement.scrollWidth}px > ${window.innerWidth}px`);
    for (const img of document.images)
        if (!img.complete || img.naturalWidth === 0) faults.push(`image not shown: ${img.src}`);
    return faults;
}"""


@pytest.fixture
def shot(request, console_errors):
    """``await shot(page, "step")``: a full-page screenshot under the test's own folder; the page
    must fit the window, show every image, and the browser must have reported no error so far."""
    folder = _test_folder(request)
    taken: list[str] = []

    async def take(page: Page, step: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        taken.append(step)
        path = folder / f"{len(taken):02d}-{step}.png"
        await page.screenshot(path=path, full_page=True)
        assert await page.evaluate(LAYOUT_FAULTS) == [], f"layout of {page.url} ({path.name})"
        assert console_errors == [], f"browser errors up to {path.name}"
        return path

    return take
