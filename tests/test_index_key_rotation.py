"""Rotating the blind index key while the portal serves (docs/security.md, "Index key"):
`idp keys add-index-key`, `idp keys reindex`, `idp keys finish-index-rotation`, with people logging
in by ID number and by mobile and registering throughout, on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from idp.accounts.models import DIGESTS
from idp.accounts.reindex import finish
from idp.captcha.providers import TEST_ANSWER
from idp.consultations.queries import lookup_without_login
from idp.personal_data.cipher import blind_index
from idp.personal_data.ring import ring_of
from shared.messages import text
from tests.support.agents import citizen_id
from tests.support.consultations import ASKER, file_question
from tests.support.portal import Browser, running_portal
from tests.support.registration import PERSON, alert
from tests.test_personal_data_rotation import cli, logins_while, logs_in

PEOPLE = 12
RAW = sa.table("accounts", sa.column("id"), *(sa.column(n) for d in DIGESTS for n in (d, f"{d}_next")))


CHEN = {"name": "陈明", "id_number": "51000019880808059X", "valid_from": "2018-08-08", "valid_to": "2038-08-08"}


async def register_at_once(put, count: int, **identity) -> list[str]:
    """``count`` people register one identity at the same moment: the alert each gets ('' registered)."""
    id_number = identity.get("id_number", PERSON["id_number"])
    browsers = [Browser(put) for _ in range(count)]
    try:
        forms = [await b.go("/register/personal") for b in browsers]
        pages = await asyncio.gather(*(
            b.submit(f, "/register/personal", **{**PERSON, "captcha": TEST_ANSWER, **identity,
                                                 "mobile": f"136{id_number[-6:-1]}{i:03d}",
                                                 "username": f"u{id_number}{i}"})
            for i, (b, f) in enumerate(zip(browsers, forms, strict=True))))
    finally:
        for b in browsers:
            await b.aclose()
    return sorted(alert(p.text) or ("" if "注册成功" in p.text else p.text[:200]) for p in pages)


async def reload(put) -> None:
    async with put.http() as http:  # any request: the instance reloads keys older than IDP_KEY_CACHE_SECONDS
        assert (await http.get("/.well-known/openid-configuration")).status_code == 200


async def test_the_index_key_rotates_while_people_log_in_by_id_number_and_mobile_and_register(
        database_url, monkeypatch, capsys):
    async with running_portal(database_url) as put:
        numbers = [citizen_id(serial) for serial in range(PEOPLE)]
        mobiles = [f"1350013{serial:04d}" for serial in range(PEOPLE)]
        for serial, (number, mobile) in enumerate(zip(numbers, mobiles, strict=True)):
            await put.add_account(f"person{serial}", account_type="personal", id_type="居民身份证", id_number=number,
                                  mobile=mobile, realname_level=2)
        reference = (await file_question(put)).reference  # 咨询: found without login by its asker
        async with put.portal.reader() as db:
            old_key = ring_of(db).index_key

        assert await cli(monkeypatch, database_url, "add-index-key") == 0
        await reload(put)
        with pytest.raises(SystemExit, match="reindex"):  # digests under the new key are missing: refused
            await cli(monkeypatch, database_url, "finish-index-rotation")
        with pytest.raises(SystemExit, match="already running"):
            await cli(monkeypatch, database_url, "add-index-key")
        # written while both keys are live: found, and unique, under either
        taken = text("id_number.exists")
        assert await register_at_once(put, 3) == ["", taken, taken]
        assert await register_at_once(put, 2, id_number=numbers[0]) == [taken] * 2

        running = asyncio.ensure_future(cli(monkeypatch, database_url, "reindex"))
        results = await logins_while(put, running, numbers[:4] + mobiles[4:8])
        assert await running == 0 and all(ok for ok, _ in results), results
        assert "0 still without the new digest" in capsys.readouterr().out

        running = asyncio.ensure_future(cli(monkeypatch, database_url, "finish-index-rotation"))
        results = await logins_while(put, running, numbers[4:8] + mobiles[:4])
        assert await running == 0 and all(ok for ok, _ in results), results
        await reload(put)

        async with put.portal.reader() as db:
            ring = ring_of(db)
            rows = (await db.execute(sa.select(RAW))).all()
        assert ring.index_key.version != old_key.version and ring.next_index_key is ring.old_index_key is None
        assert all(getattr(row, f"{d}_next") is None for row in rows for d in DIGESTS)  # companions cleared
        async with put.portal.reader() as db:  # the consultation's lookup key carried over to the new key
            assert [q.reference for q in await lookup_without_login(db, **ASKER)] == [reference]
        ids = {row.personal_id_number for row in rows}
        assert blind_index(ring.index_key, numbers[0]) in ids and blind_index(old_key, numbers[0]) not in ids
        for login in (numbers[9], mobiles[10], PERSON["id_number"]):  # old rows, and one registered mid-rotation
            assert await logs_in(put, login)
        assert await register_at_once(put, 2, **CHEN) == ["", taken]
        assert await register_at_once(put, 1, id_number=numbers[11]) == [taken]


async def test_once_the_new_key_is_promoted_old_digests_still_find_and_parallel_registrations_still_collide(
        database_url, monkeypatch):
    """Between the promotion and the copy the main columns hold old digests, new rows new ones:
    an ID number is still found under either, and of parallel registrations exactly one wins."""
    async with running_portal(database_url) as put:
        number = citizen_id(1)
        await put.add_account("person1", account_type="personal", id_type="居民身份证", id_number=number,
                              mobile="13500130001", realname_level=2)
        assert await cli(monkeypatch, database_url, "add-index-key") == 0
        assert await cli(monkeypatch, database_url, "reindex") == 0
        seen: list[list[str]] = []

        async def while_promoted() -> None:  # each wait of finish: the first is right after the promotion
            await reload(put)
            if not seen:
                assert await logs_in(put, number) and await logs_in(put, "13500130001")
                seen.append(await register_at_once(put, 3))
                seen.append(await register_at_once(put, 1, id_number=number))

        await finish(put.portal.sessionmaker, 2, while_promoted)
        taken = text("id_number.exists")
        assert seen == [["", taken, taken], [taken]]
        assert await logs_in(put, number) and await logs_in(put, PERSON["id_number"])
