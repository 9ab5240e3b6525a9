"""Readiness: may a load balancer send this instance requests?

Three checks, each named in the answer: the database answers within
:data:`DATABASE_TIMEOUT_SECONDS`, its schema is one this code can serve (:func:`schema_serves`),
and the key ring holds a key that signs now. A check after a failed database check is not run
(``skipped``).
"""
from __future__ import annotations

import asyncio
import functools

from alembic.script import ScriptDirectory
from sqlalchemy import text

from idp.db.migrate import alembic_config
from idp.keys.store import SUPPORTED_ALGS
from idp.portal import Portal

DATABASE_TIMEOUT_SECONDS = 2.0
OK, FAILED, SKIPPED = "ok", "failed", "skipped"


@functools.cache
def migrations_head() -> str | None:
    """The newest revision of migrations/versions (read once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision of this code's migrations/versions."""
    return frozenset(script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def schema_serves(revision: str | None) -> bool:
    """Whether this code may serve a database at ``revision``: at this code's head, or at one
    this code does not know, i.e. a newer release's (a rolling upgrade: `idp migrate` ran before
    this instance was replaced). Migrations expand, then contract a release later (columns and
    tables are added, never renamed or dropped in the release that stops using them), so the
    old code keeps working on the new schema. A schema behind the head (a known older revision)
    or never migrated (None) lacks what this code needs: not ready."""
    return revision is not None and (revision == migrations_head() or revision not in known_revisions())


# Through the readers' pool: on SQLite the writers' pool is one connection, which a long write
# holds; a probe queued behind it would call a busy database unreachable.
async def _schema_revision(portal: Portal) -> str | None:
    async with portal.reader() as db:
        return (await db.execute(text("SELECT version_num FROM alembic_version"))).scalar()


async def check_readiness(portal: Portal) -> dict[str, str]:
    """``{"database": "ok", "migrations": "ok", "signing_keys": "ok"}``, or which failed."""
    checks = {"database": OK, "migrations": SKIPPED, "signing_keys": SKIPPED}
    try:
        revision = await asyncio.wait_for(_schema_revision(portal), DATABASE_TIMEOUT_SECONDS)
    except Exception:  # unreachable, timed out, or no alembic_version table: not ready either way
        checks["database"] = FAILED
        try:
            # The table missing (never migrated) still means the database answered.
            await asyncio.wait_for(_ping(portal), DATABASE_TIMEOUT_SECONDS)
        except Exception:
            return checks
        checks["database"], revision = OK, None
    checks["migrations"] = OK if schema_serves(revision) else FAILED
    try:
        ring = await asyncio.wait_for(portal.key_ring(), DATABASE_TIMEOUT_SECONDS)
        for alg in SUPPORTED_ALGS:
            ring.signing_key(alg)
        checks["signing_keys"] = OK
    except Exception:
        checks["signing_keys"] = FAILED
    return checks


async def _ping(portal: Portal) -> None:
    async with portal.reader() as db:
        await db.execute(text("SELECT 1"))
