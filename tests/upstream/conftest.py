"""The upstream-login tests' fixtures: the 国家政务服务平台 stand-in (a separate process), the portal
under test naming it as its upstream, and a browser walking both."""
from __future__ import annotations

import pytest

from tests.support.portal import running_portal
from tests.support.upstream import TwoSites, running_upstream


@pytest.fixture
async def upstream(tmp_path, databases):
    """The stand-in on a SQLite copy of the migrated template (its start does not migrate)."""
    async with running_upstream(tmp_path, database_url=await databases.sqlite_copy(tmp_path)) as running:
        yield running


@pytest.fixture
async def put(database_url, upstream):
    """As the suite's ``put`` (the client ``rp``, the account ``zhangsan``), naming the stand-in."""
    async with running_portal(database_url, **upstream.portal_settings()) as portal_under_test:
        portal_under_test.rp = await portal_under_test.add_client("rp")
        portal_under_test.account = await portal_under_test.add_account(
            "zhangsan", account_type="personal", id_type="居民身份证", id_number="110000198506120133",
            mobile="13800138000", realname_level=2)
        yield portal_under_test


@pytest.fixture
async def sites(put, upstream):
    browser = TwoSites(put, upstream)
    yield browser
    await browser.aclose()
