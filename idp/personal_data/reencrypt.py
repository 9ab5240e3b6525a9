"""Moving every encrypted value to the current data key (``idp keys reencrypt``) while the portal serves.

After ``idp keys add-data-key`` the new key encrypts every value written (once every instance has
loaded it, idp.personal_data.keys); the rows written before still carry the old version. This walks
each table with encrypted columns in primary-key order, a batch of ``IDP_REENCRYPT_BATCH_SIZE``
rows per transaction (a short lock, the portal serves between batches), and rewrites each value
not on the current version by one UPDATE conditional on the row still holding the ciphertext it
read: a value the portal changed meanwhile (sealed with the current key already) is left alone.
The run can be repeated; it reports what it moved and what is still under an old version.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from idp.personal_data.cipher import version_of
from idp.personal_data.columns import Sealed
from idp.personal_data.ring import PersonalDataRing


@dataclass
class SealedTable:
    name: str
    key: str  # the primary key's column (one column)
    columns: dict[str, str]  # column → its label (the additional authenticated data)

    @classmethod
    def all_in(cls, metadata: sa.MetaData) -> list[SealedTable]:
        found = []
        for table in metadata.sorted_tables:
            sealed = {c.name: c.type.label for c in table.columns if isinstance(c.type, Sealed)}
            if sealed:
                [key] = table.primary_key.columns
                found.append(cls(table.name, key.name, sealed))
        return found

    def raw(self) -> sa.TableClause:
        """The table with its encrypted columns as plain text: the ciphertext, not the value."""
        return sa.table(self.name, sa.column(self.key), *(sa.column(c, sa.Text()) for c in self.columns))


@dataclass
class Reencrypted:
    current: int
    moved: dict[str, int] = field(default_factory=dict)  # 'table.column' → values moved
    skipped: int = 0  # changed meanwhile by someone else: left to what changed it
    left: int = 0  # still under an old version after the run (written by an instance without the new key)


def _renewed(ring: PersonalDataRing, envelope: str | None, label: str) -> str | None:
    if envelope is None or version_of(envelope) == ring.current:
        return None
    return ring.seal(ring.open(envelope, label), label)


async def _batch(db: AsyncSession, ring: PersonalDataRing, table: SealedTable, after, size: int,
                 outcome: Reencrypted):
    raw = table.raw()
    key = raw.c[table.key]
    query = sa.select(raw).order_by(key).limit(size)
    if after is not None:
        query = query.where(key > after)
    rows = (await db.execute(query)).all()
    for row in rows:
        for column, label in table.columns.items():
            old = getattr(row, column)
            new = _renewed(ring, old, label)
            if new is None:
                continue
            changed = await db.execute(sa.update(raw).where(key == getattr(row, table.key), raw.c[column] == old)
                                       .values({column: new}).returning(key))
            if changed.first() is not None:
                outcome.moved[label] = outcome.moved.get(label, 0) + 1
            else:
                outcome.skipped += 1
    return getattr(rows[-1], table.key) if rows else None


async def _count_left(db: AsyncSession, ring: PersonalDataRing, table: SealedTable) -> int:
    raw = table.raw()
    current = f"{ring.current}$%"
    return sum([await db.scalar(sa.select(sa.func.count()).select_from(raw).where(
        raw.c[column].is_not(None), raw.c[column].not_like(current))) or 0 for column in table.columns])


async def reencrypt(sessionmaker: async_sessionmaker[AsyncSession], ring: PersonalDataRing,
                    tables: list[SealedTable], batch_size: int) -> Reencrypted:
    outcome = Reencrypted(ring.current)
    for table in tables:
        after = None
        while True:
            async with sessionmaker.begin() as db:  # one batch, one transaction
                after = await _batch(db, ring, table, after, batch_size, outcome)
            if after is None:
                break
    async with sessionmaker() as db:
        outcome.left = sum([await _count_left(db, ring, table) for table in tables])
    return outcome
