"""Rotating the key-encryption key without downtime: IDP_PREVIOUS_KEY_ENCRYPTION_KEYS still decrypts,
`idp keys rewrap` re-encrypts every stored secret (signing keys, staff TOTP secrets, personal data keys)
with the current key, after which the old key can go (docs/operations.md, "Key-encryption key rotation")."""
from __future__ import annotations

import asyncio

import pytest
from cryptography.fernet import InvalidToken
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.cli import main as idp_cli
from idp.keys.models import SigningKey
from idp.staff.models import StaffAccount
from idp.staff.roles import ADMIN
from tests.support.portal import running_portal
from tests.support.staff import add_staff, staff_sign_in
from tests.support.tokens import client_credentials

OLD, NEW = "old-key-encryption-key-" + "o" * 20, "new-key-encryption-key-" + "n" * 20


async def stored_secrets(put) -> list[str]:
    async with put.portal.reader() as db:
        return sorted([*(await db.scalars(select(SigningKey.private_jwk_encrypted))).all(),
                       *(await db.scalars(select(StaffAccount.totp_secret_encrypted)
                                          .where(StaffAccount.totp_secret_encrypted.is_not(None)))).all()])


async def rewrap(monkeypatch, database_url: str, current: str, previous: str = "") -> int:
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)
    monkeypatch.setenv("IDP_KEY_ENCRYPTION_KEY", current)
    monkeypatch.setenv("IDP_PREVIOUS_KEY_ENCRYPTION_KEYS", previous)
    return await asyncio.to_thread(idp_cli, ["keys", "rewrap"])


async def serves_tokens_and_staff(put, secret: str) -> None:
    rp = await put.add_client("rp")
    assert (await client_credentials(put, rp))["access_token"]  # signed with a decrypted key
    async with put.http() as http:
        await staff_sign_in(http, "ops", secret=secret)  # the TOTP secret decrypted


async def test_the_key_encryption_key_rotates_and_the_old_one_can_go(database_url, monkeypatch, capsys):
    async with running_portal(database_url, key_encryption_key=OLD) as put:
        secret = await add_staff(put, "ops", ADMIN)
        before = await stored_secrets(put)

    with pytest.raises(InvalidToken):  # the new key alone cannot read what the old one sealed: no start
        async with running_portal(database_url, key_encryption_key=NEW):
            pass

    async with running_portal(database_url, key_encryption_key=NEW, previous_key_encryption_keys=OLD) as put:
        await serves_tokens_and_staff(put, secret)  # no downtime: both keys decrypt

    assert await rewrap(monkeypatch, database_url, NEW, OLD) == 0
    assert "2 signing keys, 1 TOTP secrets, 2 personal data keys" in capsys.readouterr().out

    async with running_portal(database_url, key_encryption_key=NEW) as put:  # the old key removed
        after = await stored_secrets(put)
        assert len(after) == len(before) == 3 and not set(after) & set(before)
        await serves_tokens_and_staff(put, secret)
        async with put.portal.reader() as db:
            event = await db.scalar(select(AuditEvent).where(AuditEvent.event == "keys.rewrapped"))
        assert event is not None and event.actor == "cli"

    assert await rewrap(monkeypatch, database_url, NEW) == 0  # again: nothing left to do
    assert "0 signing keys, 0 TOTP secrets, 0 personal data keys (5 already were)" in capsys.readouterr().out


async def test_rewrap_without_the_key_that_sealed_a_secret_changes_nothing(database_url, monkeypatch, capsys):
    async with running_portal(database_url, key_encryption_key=OLD) as put:
        await add_staff(put, "ops", ADMIN)
        before = await stored_secrets(put)
    assert await rewrap(monkeypatch, database_url, NEW) == 2
    assert "IDP_PREVIOUS_KEY_ENCRYPTION_KEYS" in capsys.readouterr().err
    async with running_portal(database_url, key_encryption_key=OLD) as put:
        assert await stored_secrets(put) == before
