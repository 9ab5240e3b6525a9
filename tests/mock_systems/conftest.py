"""Fixtures for the business systems: the UDI system in-process beside the portal (``put``),
with a database of its own, and a browser's cookie jar for it."""
from __future__ import annotations

import pytest

from mock_systems.udi import PROFILE as UDI
from tests.support.systems import running_system


@pytest.fixture
async def system_database_url(databases):
    """A business system's own empty database, dropped after the test."""
    url = await databases.empty()
    yield url
    databases.release(url)


@pytest.fixture
async def udi(put, system_database_url):
    async with running_system(put, UDI, system_database_url) as system:
        yield system


@pytest.fixture
async def udi_browser(udi):
    client = udi.browser()
    yield client
    await client.aclose()
