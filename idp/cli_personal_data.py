"""The operator's commands for the personal data keys (docs/security.md, "Rotation"):
``idp keys add-data-key``, ``idp keys reencrypt``, and the index key's ``add-index-key``, ``reindex``,
``finish-index-rotation``. Recorded in the audit log with actor ``cli``."""
from __future__ import annotations

import asyncio

from idp.accounts import reindex as index_rotation
from idp.audit.log import record
from idp.cli_operations import operator_portal
from idp.personal_data.keys import IndexRotationRefused, add_cipher_key, add_index_key
from idp.personal_data.loading import reload_personal_data
from idp.personal_data.reencrypt import SealedTable, reencrypt
from idp.personal_data.ring import ring_of
from idp.schema import Base
from idp.settings import Settings


async def cmd_add_data_key(settings: Settings, _args) -> None:
    async with operator_portal(settings) as portal, portal.sessionmaker.begin() as db:
        version = await db.run_sync(lambda session: add_cipher_key(session.connection(), settings))
        record(db, "keys.data_key_added", actor="cli", version=version, algorithm=settings.personal_data_cipher)
    print(f"data key {version} ({settings.personal_data_cipher}) added: it encrypts once every instance has "
          f"loaded it (within IDP_KEY_CACHE_SECONDS={settings.key_cache_seconds}); then run `idp keys reencrypt`")


async def cmd_reencrypt(settings: Settings, _args) -> None:
    async with operator_portal(settings) as portal:
        await reload_personal_data(portal.reader, settings, *portal.engines)
        async with portal.reader() as db:
            ring = ring_of(db)
        outcome = await reencrypt(portal.sessionmaker, ring, SealedTable.all_in(Base.metadata),
                                  settings.reencrypt_batch_size)
        async with portal.sessionmaker.begin() as db:
            record(db, "keys.reencrypted", actor="cli", version=outcome.current, moved=sum(outcome.moved.values()),
                   skipped=outcome.skipped, left=outcome.left)
    moved = ", ".join(f"{label} {count}" for label, count in sorted(outcome.moved.items())) or "nothing"
    print(f"re-encrypted with data key {outcome.current}: {moved}; {outcome.skipped} changed meanwhile, "
          f"{outcome.left} still under an older key" + (" (run again)" if outcome.left else ""))
    if max(ring.cipher_keys) > ring.current:  # added less than IDP_KEY_CACHE_SECONDS ago: not every instance knows it
        print(f"data key {max(ring.cipher_keys)} is not in force yet; run again once it is "
              f"{settings.key_cache_seconds} seconds old")


async def cmd_add_index_key(settings: Settings, _args) -> None:
    async with operator_portal(settings) as portal, portal.sessionmaker.begin() as db:
        try:
            version = await db.run_sync(lambda session: add_index_key(session.connection(), settings))
        except IndexRotationRefused as refused:
            raise SystemExit(f"refused: {refused}") from None
        record(db, "keys.index_key_added", actor="cli", version=version)
    print(f"index key {version} added: every write fills the companion digest columns once every instance has "
          f"loaded it (within IDP_KEY_CACHE_SECONDS={settings.key_cache_seconds}); then run `idp keys reindex`")


async def cmd_reindex(settings: Settings, _args) -> None:
    async with operator_portal(settings) as portal:
        await reload_personal_data(portal.reader, settings, *portal.engines)
        try:
            filled, missing = await index_rotation.reindex(portal.sessionmaker, settings.reencrypt_batch_size)
        except IndexRotationRefused as refused:
            raise SystemExit(f"refused: {refused}") from None
        async with portal.sessionmaker.begin() as db:
            record(db, "keys.reindexed", actor="cli", filled=filled, missing=missing)
    print(f"reindexed {filled} accounts; {missing} still without the new digest"
          + (" (run again)" if missing else ": run `idp keys finish-index-rotation`"))


async def cmd_finish_index_rotation(settings: Settings, _args) -> None:
    async def until_loaded() -> None:  # every instance reloads the ring within this time
        await asyncio.sleep(settings.key_cache_seconds)
        await reload_personal_data(portal.reader, settings, *portal.engines)

    async with operator_portal(settings) as portal:
        await reload_personal_data(portal.reader, settings, *portal.engines)
        try:
            await index_rotation.finish(portal.sessionmaker, settings.reencrypt_batch_size, until_loaded)
        except IndexRotationRefused as refused:
            raise SystemExit(f"refused: {refused}") from None
        async with portal.sessionmaker.begin() as db:
            record(db, "keys.index_rotation_finished", actor="cli")
    print("index key rotation finished: the new key writes and finds every digest, the old one is retired")


def add_personal_data_commands(keys_sub) -> None:
    keys_sub.add_parser("add-data-key", help="a new data key for ID numbers, mobiles and e-mail addresses "
                        "(IDP_PERSONAL_DATA_CIPHER)").set_defaults(run=cmd_add_data_key)
    keys_sub.add_parser("reencrypt", help="move every encrypted value to the current data key, in batches, "
                        "while the portal serves").set_defaults(run=cmd_reencrypt)
    keys_sub.add_parser("add-index-key", help="a new blind index key; digests are written under both keys "
                        "until the rotation finishes").set_defaults(run=cmd_add_index_key)
    keys_sub.add_parser("reindex", help="fill the new index key's digests of the accounts written before it, "
                        "in batches").set_defaults(run=cmd_reindex)
    keys_sub.add_parser("finish-index-rotation", help="after reindex: the new index key replaces the old one, "
                        "in batches; refused while digests are missing").set_defaults(run=cmd_finish_index_rotation)
