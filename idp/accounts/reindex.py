"""Rotating the blind index key of the accounts' digest columns while the portal serves
(docs/security.md, "Index key"): ``idp keys reindex`` and ``idp keys finish-index-rotation``.

After ``idp keys add-index-key`` every write fills each digest column and its companion
``<column>_next`` (the new key), and lookups match either. ``reindex`` fills the companions of
the rows written before: accounts in primary-key order, a batch per transaction, each row by an
UPDATE conditional on its main digests being still those it read (a row the portal rewrote
meanwhile has its companions already). ``finish`` refuses until no companion is missing; then it
promotes the new key (it writes the main columns too, the old one is kept for lookups), copies
each companion into its main column in batches, digests the consultations' lookup keys anew,
retires the old key and clears the companions.
Uniqueness holds throughout: until the copy the main columns are complete under the old key;
during it the companions are complete under the new key, and both carry the unique constraints.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from idp.accounts.models import DIGESTS, Account
from idp.consultations.models import Consultation
from idp.consultations.questions import lookup_key
from idp.personal_data.columns import BlindIndex
from idp.personal_data.keys import IndexRotationRefused, index_rotation_stage, promote_index_key, retire_old_index_key
from idp.personal_data.ring import ring_of

# the value each digest is computed from (personal_*: only while set, they are login names)
SOURCE = {"mobile_index": "mobile", "email_index": "email", "id_number_index": "id_number",
          "personal_id_number": "id_number", "personal_mobile": "mobile"}
NORMALISE = {d: cast(BlindIndex, Account.__table__.c[d].type).normalise for d in DIGESTS}  # as the column digests
QUESTIONS = sa.table("consultations", sa.column("id"), sa.column("lookup_key"))
RAW = sa.table("accounts", sa.column("id"), *(sa.column(n) for d in DIGESTS for n in (d, f"{d}_next")))


def _missing():
    """Rows with a main digest whose companion is not filled."""
    return sa.or_(*(sa.and_(RAW.c[d].is_not(None), RAW.c[f"{d}_next"].is_(None)) for d in DIGESTS))


async def missing_companions(db: AsyncSession) -> int:
    return await db.scalar(sa.select(sa.func.count()).select_from(RAW).where(_missing())) or 0


async def _fill_batch(db: AsyncSession, after: int, size: int) -> tuple[int | None, int]:
    rows = (await db.execute(sa.select(RAW).where(RAW.c.id > after, _missing()).order_by(RAW.c.id).limit(size))).all()
    filled = 0
    for row in rows:
        account = await db.get(Account, row.id)
        assert account is not None
        ring = ring_of(db)
        values = {f"{d}_next": ring.index_next(NORMALISE[d](getattr(account, SOURCE[d])))
                  for d in DIGESTS if getattr(row, d) is not None and getattr(account, SOURCE[d]) is not None}
        unchanged = [RAW.c[d].is_(None) if getattr(row, d) is None else RAW.c[d] == getattr(row, d) for d in DIGESTS]
        result = await db.execute(sa.update(RAW).where(RAW.c.id == row.id, *unchanged).values(values)
                                  .returning(RAW.c.id))
        filled += result.first() is not None
        db.expunge(account)
    return (rows[-1].id if rows else None), filled


async def reindex(sessionmaker: async_sessionmaker[AsyncSession], size: int) -> tuple[int, int]:
    """Fill the missing companions: (filled, still missing)."""
    async with sessionmaker() as db:
        if await db.run_sync(lambda s: index_rotation_stage(s.connection())) != "filling":
            raise IndexRotationRefused("no index key rotation is filling (idp keys add-index-key)")
    after: int | None = 0
    filled = 0
    while after is not None:
        async with sessionmaker.begin() as db:  # one batch, one transaction
            after, count = await _fill_batch(db, after, size)
            filled += count
    async with sessionmaker() as db:
        return filled, await missing_companions(db)


async def _carry_consultations(sessionmaker: async_sessionmaker[AsyncSession], size: int) -> None:
    """Each consultation's lookup key digested anew under the promoted key (it has no companion:
    until this runs, lookups match it under the promoted-from key), by an UPDATE conditional on
    the digest read. Erased questions (no mobile: their key is a random token) are left alone."""
    after = 0
    while True:
        async with sessionmaker.begin() as db:
            ring = ring_of(db)
            questions = (await db.execute(sa.select(QUESTIONS).where(QUESTIONS.c.id > after)
                                          .order_by(QUESTIONS.c.id).limit(size))).all()
            if not questions:
                return
            for question in questions:
                opened = await db.get(Consultation, question.id)
                assert opened is not None
                if opened.mobile:
                    new = ring.index(lookup_key(opened.name, opened.mobile, opened.email).strip())
                    await db.execute(sa.update(QUESTIONS).where(QUESTIONS.c.id == question.id,
                                                                QUESTIONS.c.lookup_key == question.lookup_key)
                                     .values(lookup_key=new))
                db.expunge(opened)
            after = questions[-1].id


async def _in_batches(sessionmaker: async_sessionmaker[AsyncSession], size: int, where, values) -> None:
    while True:
        async with sessionmaker.begin() as db:
            ids = (await db.scalars(sa.select(RAW.c.id).where(where).order_by(RAW.c.id).limit(size))).all()
            if not ids:
                return
            await db.execute(sa.update(RAW).where(RAW.c.id.in_(ids), where).values(values))


async def finish(sessionmaker: async_sessionmaker[AsyncSession], size: int,
                 until_loaded: Callable[[], Awaitable[None]] = lambda: asyncio.sleep(0)) -> None:
    """Promote, copy, retire, clear. ``until_loaded`` waits until every instance has reloaded
    the ring (IDP_KEY_CACHE_SECONDS) between the steps that change what instances write."""
    async with sessionmaker.begin() as db:
        if await db.run_sync(lambda s: index_rotation_stage(s.connection())) == "filling":
            if await missing_companions(db):
                raise IndexRotationRefused("some rows have no digest under the new index key: run idp keys reindex")
            await db.run_sync(lambda s: promote_index_key(s.connection()))
    await until_loaded()
    for d in DIGESTS:  # the main column takes the new key's digest
        await _in_batches(sessionmaker, size, sa.and_(RAW.c[f"{d}_next"].is_not(None),
                                                      RAW.c[d].is_distinct_from(RAW.c[f"{d}_next"])),
                          {d: RAW.c[f"{d}_next"]})
    await _carry_consultations(sessionmaker, size)
    async with sessionmaker.begin() as db:
        if await db.run_sync(lambda s: index_rotation_stage(s.connection())) == "promoted":
            await db.run_sync(lambda s: retire_old_index_key(s.connection()))
    await until_loaded()
    for d in DIGESTS:
        await _in_batches(sessionmaker, size, RAW.c[f"{d}_next"].is_not(None), {f"{d}_next": None})
