"""Personal information at rest (docs/security.md): after the demo data, a personal and a legal-person
registration, a question to the help desk and a code sent to a new mobile, the raw database (the
SQLite file and its write-ahead log; pg_dump of the PostgreSQL database) holds none of the ID
numbers, mobiles or e-mail addresses in plaintext, while the pages and claims still show them."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from idp import demo
from idp.accounts.models import Account
from tests.support.consultations import FORM, file_question
from tests.support.portal import PASSWORD
from tests.support.registration import PERSON, accounts, register_legal, register_person
from tests.support.space import code_sent_to, signed_in

NEW_MOBILE, NEW_EMAIL = "13500135009", "renamed@example.com"
# the demo holds 示例医疗器械有限公司 already: another enterprise of the synthetic register
PHARMACY = {"enterprise_name": "深圳市南山示例药房", "credit_code": "92440305PDY002429G", "name": "赵强",
            "id_number": "440000200501011014", "mobile": "13300133009", "email": "pharmacy@example.com"}


def personal_values() -> set[str]:
    values = {NEW_MOBILE, NEW_EMAIL, PERSON["mobile"], PERSON["email"], PERSON["id_number"], PHARMACY["mobile"],
              PHARMACY["email"], PHARMACY["id_number"], FORM["id_number"], FORM["mobile"], FORM["email"]}
    for entry in demo.DEMO_ACCOUNTS:
        values |= {entry["mobile"], entry["email"], entry["id_number"]}
    return values


async def raw_database(database_url: str) -> bytes:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        files = [Path(url.database), Path(url.database + "-wal")]
        return b"".join(path.read_bytes() for path in files if path.exists())
    dump = await asyncio.create_subprocess_exec(
        "/usr/bin/pg_dump", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
        "-U", url.username or "postgres", "-d", url.database,
        stdout=asyncio.subprocess.PIPE, env={**os.environ, "PGPASSWORD": url.password or ""})
    out, _ = await dump.communicate()
    assert dump.returncode == 0 and b"CREATE TABLE public.accounts" in out
    return out


async def test_no_id_number_mobile_or_e_mail_is_stored_in_plaintext(put, browser, monkeypatch, tmp_path):
    monkeypatch.setattr(demo, "SECRETS_FILE", tmp_path / "client-secrets.json")
    async with put.portal.sessionmaker.begin() as db:
        await demo.seed_demo(db, put.settings, put.portal.passwords)
    assert "注册成功" in (await register_person(browser)).text
    assert "注册成功" in (await register_legal(browser, PHARMACY)).text
    await file_question(put)
    me = await signed_in(put, put.account)
    for key, value in (("mobile", NEW_MOBILE), ("email", NEW_EMAIL)):
        page = await me.go(f"/space/settings/{key}")
        await me.submit(page, f"/space/settings/{key}", **{key: value}, current_password=PASSWORD)
    assert await code_sent_to(put, NEW_MOBILE)  # a code, its destination, the outbox and the flow stored

    [person] = await accounts(put, Account.username == PERSON["username"])
    assert (person.id_number, person.mobile, person.email) == (PERSON["id_number"], PERSON["mobile"], PERSON["email"])
    settings_page = await me.go("/space/settings")
    assert "zhangsan@example.com" in settings_page.text  # the owner's pages show the plaintext

    raw = await raw_database(put.settings.database_url)
    # the dump is readable: credit codes are enterprise data, stored plain, and usernames too
    assert PHARMACY["credit_code"].encode() in raw and b"zhangsan" in raw
    found = sorted(value for value in personal_values() if value.encode() in raw)
    assert not found, f"in plaintext in the database: {found}"
