"""/healthz and /readyz of the portal (idp/web/operations.py, idp/operations/readiness.py): what a
load balancer's probes are told, and that probing leaves no trace (no cookie, no session, no
audit record)."""
from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import delete, func, select, text

from idp.audit.models import AuditEvent
from idp.db.engine import create_engine, create_read_sessionmaker
from idp.keys.models import SigningKey
from idp.operations import readiness
from idp.sessions.models import UserSession
from tests.support.server_errors import server_error_expected

UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"


@contextlib.asynccontextmanager
async def database_unreachable(put, monkeypatch):
    """The portal's pools pointed at a port where no database listens."""
    engine = create_engine(UNREACHABLE)
    monkeypatch.setattr(put.portal, "engine", engine)
    monkeypatch.setattr(put.portal, "reader", create_read_sessionmaker(engine))
    try:
        yield
    finally:
        await engine.dispose()


async def get(put, path: str, **headers):
    async with put.http() as http:
        return await http.get(path, headers=headers)


async def test_healthz_answers_without_the_database(put, monkeypatch):
    async with database_unreachable(put, monkeypatch):
        response = await get(put, "/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_names_every_check_when_ready(put):
    response = await get(put, "/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready",
                               "checks": {"database": "ok", "migrations": "ok", "signing_keys": "ok"}}
    assert response.headers["cache-control"] == "no-store"


async def test_readyz_is_503_when_the_database_is_unreachable(put, monkeypatch):
    async with database_unreachable(put, monkeypatch):
        with server_error_expected(503, "/readyz"):
            response = await get(put, "/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "failed": ["database"],
                               "checks": {"database": "failed", "migrations": "skipped", "signing_keys": "skipped"}}


async def test_a_database_slower_than_the_timeout_is_not_ready(put, monkeypatch):
    async def hangs(_portal):
        await asyncio.sleep(30)

    monkeypatch.setattr(readiness, "DATABASE_TIMEOUT_SECONDS", 0.05)
    monkeypatch.setattr(readiness, "_schema_revision", hangs)
    monkeypatch.setattr(readiness, "_ping", hangs)
    with server_error_expected(503, "/readyz"):
        response = await asyncio.wait_for(get(put, "/readyz"), 5)
    assert response.status_code == 503 and response.json()["checks"]["database"] == "failed"


async def test_readyz_is_503_when_the_schema_is_behind_the_migrations(put):
    async with put.portal.engine.begin() as connection:
        head = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        await connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        with server_error_expected(503, "/readyz"):
            response = await get(put, "/readyz")
    finally:
        async with put.portal.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    assert response.status_code == 503
    assert response.json()["failed"] == ["migrations"]
    assert response.json()["checks"] == {"database": "ok", "migrations": "failed", "signing_keys": "ok"}


async def test_readyz_stays_ready_when_a_newer_release_migrated_the_database(put):
    """A rolling upgrade: `idp migrate` of the next release moved the schema to a revision this
    code does not know; the old instances keep serving until each is replaced (migrations
    expand first, so the old code works on the new schema)."""
    async with put.portal.engine.begin() as connection:
        head = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        await connection.execute(text("UPDATE alembic_version SET version_num = '9999_next_release'"))
    try:
        response = await get(put, "/readyz")
    finally:
        async with put.portal.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "signing_keys": "ok"}


async def test_readyz_is_503_without_signing_keys(put):
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(delete(SigningKey))
    put.portal.keys.invalidate()
    with server_error_expected(503, "/readyz"):
        response = await get(put, "/readyz")
    assert response.status_code == 503 and response.json()["failed"] == ["signing_keys"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_probes_set_no_cookie_start_no_session_and_write_no_audit_record(put, path):
    async def counts():
        async with put.portal.reader() as db:
            return (await db.scalar(select(func.count()).select_from(UserSession)),
                    await db.scalar(select(func.count()).select_from(AuditEvent)))

    before = await counts()
    for _ in range(3):
        response = await get(put, path)
        assert response.status_code == 200
        assert "set-cookie" not in response.headers
    assert await counts() == before
