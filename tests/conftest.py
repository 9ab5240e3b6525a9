"""Fixtures: a fresh migrated database per test, the portal running in-process, a browser."""
from __future__ import annotations

import pytest

from tests.support import server_errors
from tests.support.databases import TestDatabases
from tests.support.portal import Browser, running_portal
from tests.support.signing_keys import pooled_rsa_keys


def pytest_configure(config):
    server_errors.install()


def pytest_runtest_logstart(nodeid, location):
    server_errors.set_current_test(nodeid)


@pytest.fixture(scope="session", autouse=True)
def live_process_logs(tmp_path_factory):
    """After the last test: the live processes' logs (all under the run's temporary directory)."""
    yield
    server_errors.errors.extend(server_errors.scan_logs(tmp_path_factory.getbasetemp()))


def pytest_terminal_summary(terminalreporter):
    if server_errors.errors:
        terminalreporter.section("server errors (5xx or tracebacks) during the run", red=True)
        for error in server_errors.errors:
            terminalreporter.write_line(str(error))


@pytest.hookimpl(trylast=True)  # after the session fixtures' teardown (live_process_logs)
def pytest_sessionfinish(session, exitstatus):
    """The run fails if any server error happened, even in a test that passed. A worker process
    of a parallel run (pytest-xdist) hands its errors to the controlling process instead."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["server_errors"] = [(error.where, error.what) for error in server_errors.errors]
        return
    if server_errors.errors and session.exitstatus == 0:
        session.exitstatus = 1


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """In the controlling process of a parallel run: a finished worker's server errors."""
    for where, what in getattr(node, "workeroutput", {}).get("server_errors", []):
        server_errors.errors.append(server_errors.ServerError(where, what))


@pytest.fixture(scope="session", autouse=True)
def signing_key_pool():
    """RSA keys made once per run for the in-process portals (tests/support/signing_keys.py)."""
    with pooled_rsa_keys() as pool:
        yield pool


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    dbs = TestDatabases.from_environment(tmp_path_factory.mktemp("databases"))
    dbs.start()
    try:
        yield dbs
    finally:
        dbs.finish()


@pytest.fixture
async def database_url(databases):
    """A migrated database of this test's own, dropped once the fixtures using it are torn down."""
    url = await databases.fresh()
    yield url
    databases.release(url)


@pytest.fixture
async def put(database_url):
    """The portal under test, with one first-party client `rp` and the account `zhangsan`."""
    async with running_portal(database_url) as portal_under_test:
        portal_under_test.rp = await portal_under_test.add_client("rp")
        portal_under_test.account = await portal_under_test.add_account(
            "zhangsan", account_type="personal", id_type="居民身份证", id_number="110000198506120133",
            mobile="13800138000",
            realname_level=2,
        )
        yield portal_under_test


@pytest.fixture
async def browser(put):
    b = Browser(put)
    yield b
    await b.aclose()
