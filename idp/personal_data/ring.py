"""The data keys one process holds, and where the column types find them.

A column type sees only the dialect when it binds or reads a value, so the ring is hung on the
engines' dialects (the writers' and the readers' engine of one portal, the engine a migration or a
command runs on): each database gets the keys stored in it, even when one process (the tests)
opens several. The ring itself is rebuilt from the database (idp.personal_data.keys): nothing in it
is state another instance needs.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from idp.personal_data.cipher import DataKey, UndecryptableValue, blind_index, open_sealed, seal, version_of

ATTRIBUTE = "personal_data_ring"


@dataclass
class PersonalDataRing:
    cipher_keys: dict[int, DataKey]
    current: int  # the version that encrypts
    index_key: DataKey

    def seal(self, plaintext: str, label: str) -> str:
        return seal(self.cipher_keys[self.current], plaintext, label)

    def open(self, envelope: str, label: str) -> str:
        key = self.cipher_keys.get(version_of(envelope))
        if key is None:
            raise UndecryptableValue(f"no data key of version {version_of(envelope)} is loaded")
        return open_sealed(key, envelope, label)

    def index(self, normalised: str) -> str:
        return blind_index(self.index_key, normalised)


class RingNotLoaded(RuntimeError):
    """A sealed column was used on an engine whose data keys were never loaded."""


def install(engine: AsyncEngine, ring: PersonalDataRing) -> None:
    setattr(engine.sync_engine.dialect, ATTRIBUTE, ring)


def ring_of_dialect(dialect: Dialect) -> PersonalDataRing:
    ring = getattr(dialect, ATTRIBUTE, None)
    if ring is None:
        raise RingNotLoaded("the personal data keys of this database are not loaded (idp.personal_data.keys.load)")
    return ring


def ring_of(db: AsyncSession) -> PersonalDataRing:
    """The ring of the database ``db`` works on (for a digest computed outside a column)."""
    return ring_of_dialect(db.get_bind().dialect)
