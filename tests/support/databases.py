"""A fresh, migrated database for each test, on SQLite or PostgreSQL.

TEST_DATABASE_URL chooses the backend (default: SQLite files in a temporary folder). The
schema is migrated once into a template; each test gets a copy (a file copy on SQLite,
CREATE DATABASE … TEMPLATE on PostgreSQL). If PostgreSQL was asked for and cannot be
reached, the tests fail: they never skip.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from idp.db.engine import create_engine
from idp.db.migrate import upgrade_to_head


class TestDatabases:
    def __init__(self, base_url: str | None, workdir: Path):
        self.base_url = base_url
        self.workdir = workdir
        self.is_postgres = bool(base_url and base_url.startswith("postgresql"))
        self._template: str | None = None
        self._created: list[str] = []

    @classmethod
    def from_environment(cls, workdir: Path) -> TestDatabases:
        return cls(os.environ.get("TEST_DATABASE_URL") or None, workdir)

    def _pg_admin_dsn(self) -> str:
        url = make_url(self.base_url)
        return f"postgresql://{url.username or 'postgres'}@{url.host or '127.0.0.1'}:{url.port or 5432}/postgres"

    def _pg_url(self, name: str) -> str:
        return make_url(self.base_url).set(database=name).render_as_string(hide_password=False)

    async def _pg(self, sql: str) -> None:
        conn = await asyncpg.connect(self._pg_admin_dsn(), timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def _migrate(self, url: str) -> None:
        engine = create_engine(url, pooled=False)
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()

    async def template(self) -> str:
        if self._template is None:
            if self.is_postgres:
                name = f"idp_tpl_{uuid.uuid4().hex[:10]}"
                await self._pg(f'CREATE DATABASE "{name}"')
                self._created.append(name)
                await self._migrate(self._pg_url(name))
                self._template = name
            else:
                path = self.workdir / "template.sqlite3"
                await self._migrate(f"sqlite+aiosqlite:///{path}")
                self._template = str(path)
        return self._template

    async def fresh(self) -> str:
        template = await self.template()
        if self.is_postgres:
            name = f"idp_t_{uuid.uuid4().hex[:12]}"
            await self._pg(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            self._created.append(name)
            return self._pg_url(name)
        path = self.workdir / f"{uuid.uuid4().hex}.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"

    async def empty(self) -> str:
        """A new database without any table (a business system's own, which creates its tables)."""
        if self.is_postgres:
            name = f"biz_t_{uuid.uuid4().hex[:12]}"
            await self._pg(f'CREATE DATABASE "{name}"')
            self._created.append(name)
            return self._pg_url(name)
        return f"sqlite+aiosqlite:///{self.workdir / uuid.uuid4().hex}.sqlite3"

    async def drop_all(self) -> None:
        """Drop every database this run made, a few at a time over one admin connection each."""
        limit = asyncio.Semaphore(4)

        async def drop(name: str) -> None:
            async with limit:
                try:
                    await self._pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                except Exception:  # a leftover database harms nothing; the next run makes new ones
                    pass

        copies = [n for n in self._created if n != self._template]
        await asyncio.gather(*(drop(name) for name in copies))
        if self._template:
            await drop(self._template)
