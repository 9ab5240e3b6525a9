"""Migration 0017 on a database that already holds people: it encrypts every ID number, mobile and
e-mail address in place, moves the lookups to the blind indexes, and (SQLite) VACUUMs the file,
so no plaintext is left in its freed pages; the people still log in as before. Its downgrade
decrypts them again (run here to make the plaintext database of the revision before)."""
from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import event, text

from idp.db.engine import create_engine
from idp.db.migrate import alembic_config, upgrade_to_head
from tests.support.consultations import FORM, file_question
from tests.support.login import attempt, logged_in_to, open_login
from tests.support.portal import Browser, running_portal
from tests.test_personal_data_at_rest import raw_database

ID_NUMBER, MOBILE, EMAIL = "110000198506120133", "13800138000", "zhangsan@example.com"
LEGAL_REP = "330000197001010023"


def keep_freed_pages(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=OFF")
    cursor.close()


def before_0017() -> str:
    """The revision 0017 follows (the chain is re-linked when branches merge)."""
    return ScriptDirectory.from_config(alembic_config()).get_revision("0017").down_revision


async def downgrade_before_0017(database_url: str) -> None:
    engine = create_engine(database_url, pooled=False)
    try:
        async with engine.begin() as connection:
            def run(sync_connection) -> None:
                cfg = alembic_config()
                cfg.attributes["connection"] = sync_connection
                command.downgrade(cfg, before_0017())
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def test_the_migration_encrypts_existing_rows_and_leaves_no_plaintext(database_url):
    async with running_portal(database_url) as put:
        await put.add_account("zhangsan", account_type="personal", id_type="居民身份证", id_number=ID_NUMBER,
                              mobile=MOBILE, email=EMAIL, realname_level=2)
        await put.add_account("qiye", account_type="legal_person", id_type="居民身份证", id_number=LEGAL_REP,
                              enterprise_name="示例医疗器械有限公司", credit_code="91110105PDY0001752",
                              realname_level=2)
        await file_question(put)
    await downgrade_before_0017(database_url)
    engine = create_engine(database_url, pooled=False)
    try:
        async with engine.connect() as connection:
            plain = (await connection.execute(text("SELECT id_number, personal_id_number, mobile FROM accounts "
                                                   "WHERE username = 'zhangsan'"))).one()
        assert tuple(plain) == (ID_NUMBER, ID_NUMBER, MOBILE)  # what was stored before 0017
        if engine.dialect.name == "sqlite":  # as a build without SECURE_DELETE: freed pages keep their bytes
            event.listen(engine.sync_engine, "connect", keep_freed_pages)
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()

    raw = await raw_database(database_url)
    found = [v for v in (ID_NUMBER, MOBILE, EMAIL, LEGAL_REP, FORM["id_number"], FORM["mobile"], FORM["email"])
             if v.encode() in raw]
    assert not found, f"in plaintext after the migration: {found}"

    async with running_portal(database_url) as put:
        browser = Browser(put)
        try:
            for login_name in (ID_NUMBER, MOBILE):  # found through the blind indexes the migration filled
                assert logged_in_to(await attempt(browser, await open_login(browser), login_name)), login_name
                browser.client.cookies.clear()
        finally:
            await browser.aclose()
