"""The operator's commands for the personal data keys (docs/security.md, "Rotation"):
``idp keys add-data-key`` and ``idp keys reencrypt``. Recorded in the audit log with actor ``cli``."""
from __future__ import annotations

from idp.audit.log import record
from idp.cli_operations import operator_portal
from idp.personal_data.keys import add_cipher_key
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


def add_personal_data_commands(keys_sub) -> None:
    keys_sub.add_parser("add-data-key", help="a new data key for ID numbers, mobiles and e-mail addresses "
                        "(IDP_PERSONAL_DATA_CIPHER)").set_defaults(run=cmd_add_data_key)
    keys_sub.add_parser("reencrypt", help="move every encrypted value to the current data key, in batches, "
                        "while the portal serves").set_defaults(run=cmd_reencrypt)
