"""The cluster tests' fixtures: a PostgreSQL database (the production layout runs on nothing
else: on SQLite the tests skip, saying so) and a relying party's back-channel logout endpoint."""
from __future__ import annotations

import pytest

from tests.support.live import BackchannelReceiver


@pytest.fixture
async def database_url(databases):
    if not databases.is_postgres:
        pytest.skip("the production layout runs on PostgreSQL: run with TEST_DATABASE_URL=postgresql+asyncpg://…")
    return await databases.fresh()


@pytest.fixture
def receiver():
    server = BackchannelReceiver().start()
    try:
        yield server
    finally:
        server.stop()
