"""Re-encrypting every secret stored at rest with the current key-encryption key (``idp keys rewrap``).

After ``IDP_KEY_ENCRYPTION_KEY`` changed (the old value moved to
``IDP_PREVIOUS_KEY_ENCRYPTION_KEYS``), each signing key's private half, each TOTP secret (a
staff member's, an account's) and each personal data key is decrypted with whichever key fits and encrypted with the
current one. Each row changes by one conditional UPDATE on the ciphertext it read, so a row changed meanwhile (a new
TOTP enrolment, a rewrap on another host) is left to what changed it: the run can be repeated.
Once it reports nothing left under an old key, the previous keys can be removed.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from idp.accounts.models import AccountTotp
from idp.audit.log import record
from idp.keys.models import SigningKey
from idp.personal_data.keys import rewrap_data_keys
from idp.security.encryption import rewrapped
from idp.settings import Settings
from idp.staff.models import StaffAccount


@dataclass
class Rewrapped:
    signing_keys: int = 0
    totp_secrets: int = 0
    data_keys: int = 0  # the personal data keys (idp.personal_data.keys)
    already_current: int = 0


async def rewrap_secrets(db: AsyncSession, settings: Settings, *, actor: str) -> Rewrapped:
    """Re-encrypt every stored secret with the current key; InvalidToken (nothing changed, the
    transaction rolls back) when a secret is under a key no longer configured."""
    outcome = Rewrapped()
    for kid, sealed in (await db.execute(select(SigningKey.kid, SigningKey.private_jwk_encrypted))).all():
        new = rewrapped(settings, sealed)
        if new is None:
            outcome.already_current += 1
            continue
        changed = await db.execute(update(SigningKey)
                                   .where(SigningKey.kid == kid, SigningKey.private_jwk_encrypted == sealed)
                                   .values(private_jwk_encrypted=new).returning(SigningKey.kid))
        outcome.signing_keys += changed.first() is not None
    for model, key in ((StaffAccount, StaffAccount.id), (AccountTotp, AccountTotp.account_id)):
        rows = await db.execute(select(key, model.totp_secret_encrypted)
                                .where(model.totp_secret_encrypted.is_not(None)))
        for row_id, totp_sealed in rows.all():
            assert totp_sealed is not None  # the query's WHERE
            renewed = rewrapped(settings, totp_sealed)
            if renewed is None:
                outcome.already_current += 1
                continue
            changed = await db.execute(update(model).where(key == row_id, model.totp_secret_encrypted == totp_sealed)
                                       .values(totp_secret_encrypted=renewed).returning(key))
            outcome.totp_secrets += changed.first() is not None
    data_keys, data_keys_current = await db.run_sync(lambda session: rewrap_data_keys(session.connection(), settings))
    outcome.data_keys += data_keys
    outcome.already_current += data_keys_current
    record(db, "keys.rewrapped", actor=actor, signing_keys=outcome.signing_keys, totp_secrets=outcome.totp_secrets,
           data_keys=outcome.data_keys, already_current=outcome.already_current)
    return outcome
