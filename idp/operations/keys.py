"""The operator's view of the signing keys and their rotation, for the console, its API and
the CLI. A key's state, from its times (idp.keys.store): ``published`` (in the JWKS, not signing
yet: the publish lead), ``signing``, ``retired`` (no longer signs; stays in the JWKS until what it
signed has expired, then ``unpublished``)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from idp import clock
from idp.audit.log import record
from idp.keys.models import SigningKey
from idp.keys.store import ensure_signing_keys, rotate_keys
from idp.portal import Portal

PUBLISHED, SIGNING, RETIRED, UNPUBLISHED = "published", "signing", "retired", "unpublished"
STATE_NAMES = {PUBLISHED: "已发布待启用", SIGNING: "签名中", RETIRED: "已退役", UNPUBLISHED: "已撤下"}


@dataclass(frozen=True)
class KeyState:
    kid: str
    alg: str
    state: str
    created_at: dt.datetime
    signs_from: dt.datetime
    signs_until: dt.datetime | None
    unpublish_at: dt.datetime | None


def state_of(key: SigningKey, now: dt.datetime) -> str:
    if key.unpublish_at is not None and key.unpublish_at <= now:
        return UNPUBLISHED
    if key.signs_until is not None and key.signs_until <= now:
        return RETIRED
    return SIGNING if key.signs_from <= now else PUBLISHED


async def list_keys(portal: Portal) -> list[KeyState]:
    """Every key, the newest first."""
    now = clock.now()
    async with portal.reader() as db:
        rows = (await db.scalars(select(SigningKey).order_by(SigningKey.signs_from.desc(), SigningKey.alg))).all()
    return [KeyState(row.kid, row.alg, state_of(row, now), row.created_at, row.signs_from, row.signs_until,
                     row.unpublish_at) for row in rows]


async def rotate_signing_keys(portal: Portal, *, actor: str) -> list[KeyState]:
    """A successor for each algorithm, published now, signing after the publish lead."""
    async with portal.sessionmaker.begin() as db:
        await ensure_signing_keys(db, portal.settings)
        rows = await rotate_keys(db, portal.settings)
        record(db, "keys.rotated", actor=actor, kids=[row.kid for row in rows])
        now = clock.now()
        rotated = [KeyState(row.kid, row.alg, state_of(row, now), row.created_at, row.signs_from, row.signs_until,
                            row.unpublish_at) for row in rows]
    portal.keys.invalidate()
    return rotated
