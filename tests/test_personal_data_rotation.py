"""Rotating the personal data key while the portal serves (docs/security.md, "Rotation"):
`idp keys add-data-key` adds a key that encrypts every value written from then on (here at once:
IDP_KEY_CACHE_SECONDS=0, so every instance has loaded it); `idp keys reencrypt` moves the rows
written before, batch by batch, while people keep logging in by their ID numbers."""
from __future__ import annotations

import asyncio
import contextlib

import sqlalchemy as sa

from idp.accounts.models import Account
from idp.cli import main as idp_cli
from idp.personal_data.reencrypt import SealedTable, reencrypt
from idp.personal_data.ring import ring_of
from idp.schema import Base
from tests.support.agents import citizen_id
from tests.support.consultations import file_question
from tests.support.login import attempt, logged_in_to, open_login
from tests.support.portal import Browser, running_portal

PEOPLE = 24


def cli(monkeypatch, database_url: str, *command: str):
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)
    monkeypatch.setenv("IDP_KEY_CACHE_SECONDS", "0")
    monkeypatch.setenv("IDP_REENCRYPT_BATCH_SIZE", "5")
    return asyncio.to_thread(idp_cli, ["keys", *command])


async def versions(put) -> set[int]:
    """The key versions the stored ID numbers, mobiles and e-mail addresses carry."""
    raw = sa.table("accounts", *(sa.column(c, sa.Text()) for c in ("id_number", "mobile", "email")))
    async with put.portal.reader() as db:
        rows = (await db.execute(sa.select(raw))).all()
    return {int(value.partition("$")[0]) for row in rows for value in row if value is not None}


async def logs_in(put, id_number: str) -> bool:
    browser = Browser(put)
    try:
        return logged_in_to(await attempt(browser, await open_login(browser), id_number)) is not None
    finally:
        await browser.aclose()


async def logins_while(put, running: asyncio.Future, numbers: list[str]) -> list[tuple[bool, bool]]:
    """Log in by ID number, one person after another, until ``running`` is done (at least once each):
    (logged in, whether ``running`` had finished by then) for each attempt."""
    results, turn = [], 0
    while not running.done() or turn < len(numbers):
        results.append((await logs_in(put, numbers[turn % len(numbers)]), running.done()))
        turn += 1
    return results


class LoginAfterEachBatch:
    """The portal's sessionmaker, for ``reencrypt``: after each batch commits, someone logs in, so
    every login meets a database half moved to the new key."""

    def __init__(self, put, numbers: list[str]):
        self.put, self.numbers, self.logins = put, numbers, []

    @contextlib.asynccontextmanager
    async def begin(self):
        async with self.put.portal.sessionmaker.begin() as db:
            yield db
        number = self.numbers[len(self.logins) % len(self.numbers)]
        self.logins.append(await logs_in(self.put, number))

    def __call__(self):
        return self.put.portal.sessionmaker()


async def test_a_new_data_key_encrypts_at_once_and_reencrypt_moves_the_rest_while_logins_go_on(
        database_url, monkeypatch, capsys):
    async with running_portal(database_url) as put:
        numbers = [citizen_id(serial) for serial in range(PEOPLE)]
        for serial, number in enumerate(numbers):
            await put.add_account(f"person{serial}", account_type="personal", id_type="居民身份证", id_number=number,
                                  realname_level=2)
        await file_question(put)
        async with put.portal.reader() as db:
            first = ring_of(db).current
        assert await versions(put) == {first}

        assert await cli(monkeypatch, database_url, "add-data-key") == 0
        async with put.http() as http:  # any request: the instance reloads keys older than IDP_KEY_CACHE_SECONDS
            assert (await http.get("/.well-known/openid-configuration")).status_code == 200
        late = await put.add_account("late", account_type="personal", id_type="居民身份证", id_number=citizen_id(99),
                                     realname_level=2)
        async with put.portal.reader() as db:
            current = ring_of(db).current
            stored = await db.scalar(sa.select(sa.table("accounts", sa.column("id_number", sa.Text())).c.id_number)
                                     .where(sa.column("id") == late.id))
        assert current > first and stored.startswith(f"{current}$")  # the new key, from the moment it was added

        running = asyncio.ensure_future(cli(monkeypatch, database_url, "reencrypt"))
        results = await logins_while(put, running, numbers[:6])
        assert await running == 0
        assert all(ok for ok, _ in results), results
        assert "0 still under an older key" in capsys.readouterr().out
        assert await versions(put) == {current}
        async with put.portal.reader() as db:  # every value reads back, and the blind index still finds it
            found = (await db.scalars(sa.select(Account).where(Account.personal_id_number.in_(numbers)))).all()
        assert sorted(a.id_number for a in found) == sorted(numbers)

        assert await cli(monkeypatch, database_url, "reencrypt") == 0  # again: nothing left to move
        assert "re-encrypted with data key" in capsys.readouterr().out and await versions(put) == {current}


async def test_logins_between_the_batches_of_a_reencryption_meet_both_keys(database_url, monkeypatch):
    async with running_portal(database_url) as put:
        numbers = [citizen_id(serial) for serial in range(8)]
        for serial, number in enumerate(numbers):
            await put.add_account(f"person{serial}", account_type="personal", id_type="居民身份证", id_number=number,
                                  realname_level=2)
        assert await cli(monkeypatch, database_url, "add-data-key") == 0
        await put.portal.refresh_personal_data_keys()  # as before any request
        async with put.portal.reader() as db:
            ring = ring_of(db)
        sessions = LoginAfterEachBatch(put, numbers)
        outcome = await reencrypt(sessions, ring, SealedTable.all_in(Base.metadata), batch_size=2)
        assert outcome.left == 0 and outcome.moved["accounts.id_number"] == len(numbers)
        assert len(sessions.logins) >= len(numbers) // 2 and all(sessions.logins), sessions.logins
        assert await versions(put) == {ring.current}
