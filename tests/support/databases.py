"""A fresh, migrated database for each test, on SQLite or PostgreSQL.

TEST_DATABASE_URL chooses the backend (default: SQLite files in a temporary folder). The
schema is migrated once into a template; each test gets a copy (a file copy on SQLite,
CREATE DATABASE … TEMPLATE on PostgreSQL). If PostgreSQL was asked for and cannot be
reached, the tests fail: they never skip.

On PostgreSQL a database is not dropped after its test: the test's fixtures release it, and when
the next test asks for one its rows are deleted and its sequences restarted and it is handed out
again. That
costs a few milliseconds, where CREATE DATABASE writes the whole copy to the write-ahead log and
DROP DATABASE waits for a checkpoint (dropping the whole suite's copies at the end took ~100 s).
A database is reused only when it is exactly as it was handed out but for rows: no connection is
open on it any more and its schema (tables, columns, indexes, constraints, triggers, migration
revision) still matches the template's; any other is dropped, in the background.

Every database of a run is named ``idpt_<run>_…``, and the run holds an advisory lock on its
name for as long as it lives. At start, a run drops the databases of earlier runs whose lock is
free (they crashed or were killed before their cleanup); a run still going holds its lock and
keeps its databases, so engineers sharing one server don't break each other's runs.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import threading
import time
import uuid
import warnings
from concurrent.futures import Future
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from idp.db.engine import create_engine
from idp.db.migrate import upgrade_to_head
from idp.db.ops import advisory_key

PREFIX = "idpt_"
RUN_NAME = re.compile(rf"^{PREFIX}([0-9a-f]{{8}})([0-9a-f]{{6}})_")
# Drops at once: concurrent DROP DATABASE statements share one checkpoint. A few admin
# connections only: the server's connection slots are shared with the portal processes under test.
DROP_CONCURRENCY = 6


# What a test could change in a database other than its rows. Two databases with the same
# fingerprint have the same schema; one whose fingerprint changed (a migration test went down and
# up, an index was dropped) is not reused.
SCHEMA_FINGERPRINT = """
SELECT md5(coalesce(string_agg(item, ',' ORDER BY item), '')) FROM (
    SELECT c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':'
           || a.attnotnull || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS item
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL SELECT c.relname || ':' || c.relkind::text FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
     WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL SELECT conname || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT tgname || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT p.proname || md5(p.prosrc) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
    UNION ALL SELECT t.typname FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace
) AS schema_items
"""


LOOPBACK_HOSTS = {None, "", "localhost", "127.0.0.1", "::1"}


def without_tls_negotiation(url: str | None) -> str | None:
    """``url`` with ``ssl=disable`` when it names a PostgreSQL server on this machine and no TLS
    setting of its own.

    asyncpg's default (``prefer``) opens every connection, and every cancel request, with an
    SSLRequest. When a query is cancelled (a readiness probe's timeout) and its connection is
    closed at once (the pool drops a connection in doubt), the cancel request's connection is
    torn down mid-negotiation and asyncpg leaves an exception on a future nobody awaits
    (MagicStack/asyncpg#1310): "Future exception was never retrieved", which the server-error
    check then charges to whichever test the garbage collector runs in. The loopback server
    has no TLS to negotiate; a URL that asks for TLS keeps it."""
    if not url or not url.startswith("postgresql"):
        return url
    parsed = make_url(url)
    if parsed.host not in LOOPBACK_HOSTS or {"ssl", "sslmode"} & set(parsed.query):
        return url
    return parsed.update_query_dict({"ssl": "disable"}).render_as_string(hide_password=False)


def run_of(database: str) -> str | None:
    """The run id in a test database's name (its first 8 hex digits are the run's start time)."""
    match = RUN_NAME.match(database)
    return match.group(1) + match.group(2) if match else None


class TestDatabases:
    __test__ = False  # a fixture's class, not a test class

    def __init__(self, base_url: str | None, workdir: Path):
        self.base_url = base_url
        self.workdir = workdir
        self.is_postgres = bool(base_url and base_url.startswith("postgresql"))
        self.run = f"{int(time.time()):08x}{uuid.uuid4().hex[:6]}"
        self._template: str | None = None
        self._created: set[str] = set()
        self._released: list[str] = []
        self._free: dict[str, list[str]] = {"t": [], "b": []}  # reset databases, by kind
        self._fingerprints: dict[str, str] = {}
        self._serial = 0
        self._dropper: _Dropper | None = None

    @classmethod
    def from_environment(cls, workdir: Path) -> TestDatabases:
        return cls(without_tls_negotiation(os.environ.get("TEST_DATABASE_URL") or None), workdir)

    def _pg_admin_dsn(self) -> str:
        url = make_url(self.base_url)
        return f"postgresql://{url.username or 'postgres'}@{url.host or '127.0.0.1'}:{url.port or 5432}/postgres"

    def _pg_url(self, name: str) -> str:
        return make_url(self.base_url).set(database=name).render_as_string(hide_password=False)

    def _new_name(self, kind: str) -> str:
        self._serial += 1
        return f"{PREFIX}{self.run}_{kind}{self._serial}"

    async def _pg(self, sql: str) -> None:
        conn = await asyncpg.connect(self._pg_admin_dsn(), timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def _connect(self, name: str) -> asyncpg.Connection:
        return await asyncpg.connect(self._pg_admin_dsn().rsplit("/", 1)[0] + f"/{name}", timeout=10)

    async def _fingerprint(self, name: str) -> str:
        conn = await self._connect(name)
        try:
            return await self._schema_of(conn)
        finally:
            await conn.close()

    @staticmethod
    async def _schema_of(conn: asyncpg.Connection) -> str:
        revision = ""
        if await conn.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL"):
            revision = ",".join(r[0] for r in await conn.fetch("SELECT version_num FROM alembic_version"))
        return f"{revision}/{await conn.fetchval(SCHEMA_FINGERPRINT)}"

    async def _reset(self, name: str, kind: str) -> bool:
        """Empty ``name`` for the next test; False when it cannot be reused (and must be dropped)."""
        try:
            conn = await self._connect(name)
        except Exception:
            return False
        try:
            if not await self._alone_on(conn):
                # Shown on the test that asks next; the one that left the connection open came before.
                warnings.warn(ResourceWarning(
                    f"a connection to {name} was still open after the test that used it ended; dropped"), stacklevel=2)
                return False
            async with conn.transaction():
                if kind == "b":  # a business system's database: it creates its own tables at start
                    await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                elif await self._schema_of(conn) == self._fingerprints["t"]:
                    await conn.execute(await self._emptying_statements(conn))
                else:
                    return False
            return await self._schema_of(conn) == self._fingerprints[kind]
        except Exception:
            return False
        finally:
            await conn.close()

    @staticmethod
    async def _alone_on(conn: asyncpg.Connection) -> bool:
        """No other session on this database (a backend may take a moment to leave after its client
        closed the connection)."""
        for _ in range(5):
            if not await conn.fetchval("SELECT count(*) FROM pg_stat_activity "
                                       "WHERE datname = current_database() AND pid <> pg_backend_pid()"):
                return True
            await asyncio.sleep(0.05)
        return False

    @staticmethod
    async def _emptying_statements(conn: asyncpg.Connection) -> str:
        # DELETE rather than TRUNCATE: on a few rows it is twenty times faster (no new files). The
        # replica role skips foreign-key checks and the audit log's append-only trigger.
        tables = [r[0] for r in await conn.fetch(
            "SELECT quote_ident(tablename) FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
        sequences = [r[0] for r in await conn.fetch(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences")]
        return "".join(["SET LOCAL session_replication_role = replica;",
                        *(f"DELETE FROM {t};" for t in tables), *(f"ALTER SEQUENCE {s} RESTART;" for s in sequences)])

    async def _migrate(self, url: str) -> None:
        engine = create_engine(url, pooled=False)
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()

    def start(self) -> None:
        """Before the first test: claim the run's name, clear crashed runs' databases, migrate the
        template once (callers that start at the same moment then only copy it)."""
        if self.is_postgres:
            self._dropper = _Dropper(self._pg_admin_dsn(), self.run)
            self._dropper.call(self._dropper.claim_run_and_drop_stale()).result()
        asyncio.run(self.template())

    async def template(self) -> str:
        if self._template is None:
            if self.is_postgres:
                name = f"{PREFIX}{self.run}_tpl"
                await self._pg(f'CREATE DATABASE "{name}"')
                await self._migrate(self._pg_url(name))
                self._fingerprints["t"] = await self._fingerprint(name)
                self._template = name
            else:
                path = self.workdir / "template.sqlite3"
                await self._migrate(f"sqlite+aiosqlite:///{path}")
                self._template = str(path)
        return self._template

    async def fresh(self) -> str:
        template = await self.template()
        await self._recycle()
        if self.is_postgres:
            if self._free["t"]:
                return self._pg_url(self._free["t"].pop())
            name = self._new_name("t")
            self._created.add(name)
            await self._pg(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return self._pg_url(name)
        path = self.workdir / f"{uuid.uuid4().hex}.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"

    async def sqlite_copy(self, directory: Path) -> str:
        """A migrated SQLite database in ``directory`` whatever the backend (the upstream stand-in
        keeps its own SQLite file): a copy of a template migrated once per run."""
        template = await self.template() if not self.is_postgres else None
        if template is None:
            path = self.workdir / "sqlite-template.sqlite3"
            if not path.exists():
                await self._migrate(f"sqlite+aiosqlite:///{path}")
            template = str(path)
        copy = Path(directory) / "portal.db"
        shutil.copyfile(template, copy)
        return f"sqlite+aiosqlite:///{copy}"

    async def empty(self) -> str:
        """A new database without any table (a business system's own, which creates its tables)."""
        await self._recycle()
        if self.is_postgres:
            if self._free["b"]:
                return self._pg_url(self._free["b"].pop())
            name = self._new_name("b")
            self._created.add(name)
            await self._pg(f'CREATE DATABASE "{name}"')
            if "b" not in self._fingerprints:
                self._fingerprints["b"] = await self._fingerprint(name)
            return self._pg_url(name)
        return f"sqlite+aiosqlite:///{self.workdir / uuid.uuid4().hex}.sqlite3"

    def release(self, url: str) -> None:
        """The test that used ``url`` is over. The database is emptied (or dropped, or on SQLite
        deleted) when the next one is asked for: by then the test's event loop is closed, so no
        task it left behind (a delivery the portal still makes to a system on its way down) can
        touch it. Databases never released (a session-wide portal's, one a test made for itself)
        are dropped at the end of the run."""
        self._released.append(make_url(url).database)

    async def _recycle(self) -> None:
        released, self._released = self._released, []
        for name in released:
            if not self.is_postgres:
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(f"{name}{suffix}")
            elif name in self._created and self._dropper is not None:
                kind = name.rsplit("_", 1)[1][0]
                if await self._reset(name, kind):
                    self._free[kind].append(name)
                else:
                    self._created.discard(name)
                    self._dropper.call(self._dropper.drop(name))

    def finish(self) -> None:
        """After the last test: wait for the drops under way, drop what is left, then the template."""
        if self._dropper is None:
            return
        dropper = self._dropper
        dropper.call(dropper.finish(sorted(self._created), self._template)).result()
        dropper.stop()
        self._dropper = None


class _Dropper:
    """A thread with its own event loop that drops databases while the tests go on, and holds the
    run's advisory lock on one admin connection until the run ends."""

    def __init__(self, admin_dsn: str, run: str):
        self.admin_dsn = admin_dsn
        self.run = run
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-database-dropper", daemon=True)
        self.thread.start()
        self.limit: asyncio.Semaphore | None = None
        self.pending: set[asyncio.Future] = set()
        self.lock_conn: asyncpg.Connection | None = None

    def call(self, coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    async def claim_run_and_drop_stale(self) -> None:
        self.limit = asyncio.Semaphore(DROP_CONCURRENCY)
        self.lock_conn = await asyncpg.connect(self.admin_dsn, timeout=10)
        await self.lock_conn.execute("SELECT pg_advisory_lock($1)", advisory_key(f"test-run:{self.run}"))
        names = [r["datname"] for r in await self.lock_conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", PREFIX.replace("_", r"\_") + "%")]
        stale = {run for run in map(run_of, names) if run and run != self.run and run[:8] <= self.run[:8]}
        for run in stale:
            # A run that is still going holds this lock; one that got it here is gone for good.
            key = advisory_key(f"test-run:{run}")
            if await self.lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                await asyncio.gather(*(self.drop(n) for n in names if run_of(n) == run))
                await self.lock_conn.execute("SELECT pg_advisory_unlock($1)", key)

    async def drop(self, name: str) -> None:
        task = asyncio.current_task()
        self.pending.add(task)
        try:
            async with self.limit:
                conn = await asyncpg.connect(self.admin_dsn, timeout=10)
                try:
                    # FORCE: a live process a failed test left behind must not keep its database.
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                finally:
                    await conn.close()
        except Exception:  # a leftover database harms nothing; the next run's start drops it
            pass
        finally:
            self.pending.discard(task)

    async def finish(self, remaining: list[str], template: str | None) -> None:
        await asyncio.gather(*(self.drop(name) for name in remaining), *list(self.pending))
        if template:
            await self.drop(template)
        await self.lock_conn.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
