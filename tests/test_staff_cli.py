"""The operators' staff commands (``idp staff …``, idp/cli.py) and the demo staff of
``idp seed-demo`` (idp/demo.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.demo import DEMO_STAFF, DEMO_STAFF_PASSWORD, seed_demo_staff
from idp.staff.accounts import find_staff, roles_of
from idp.staff.roles import ADMIN, AUDITOR, BINDINGS, HELPDESK
from tests.support.cli import idp
from tests.support.staff import STAFF_PASSWORD, add_staff, post_password


@pytest.fixture
def cli_env(monkeypatch, database_url):
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)
    monkeypatch.setenv("IDP_ARGON2_MEMORY_KIB", "64")
    monkeypatch.setenv("IDP_ARGON2_TIME_COST", "1")


async def test_create_reads_the_password_from_stdin_and_enrols_later(put, cli_env, monkeypatch, capsys):
    assert await idp(monkeypatch, "staff", "create", "Kefu01", "--name", "客服一", "--role", HELPDESK,
                     "--role", AUDITOR, "--password-stdin", stdin=STAFF_PASSWORD + "\n") == 0
    assert "staff member kefu01 created" in capsys.readouterr().out
    async with put.portal.reader() as db:
        account = await find_staff(db, "kefu01")
        assert await roles_of(db, account.id) == {HELPDESK, AUDITOR}
        event = await db.scalar(select(AuditEvent).where(AuditEvent.event == "staff.created"))
    assert account.totp_enrolled_at is None and event.actor == "cli"
    async with put.http() as client:
        assert (await post_password(client, "kefu01")).headers["location"] == "/staff/login/totp"


async def test_create_prompts_twice_without_stdin(put, cli_env, monkeypatch, capsys):
    answers = iter([STAFF_PASSWORD, "Other@2026pass"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert await idp(monkeypatch, "staff", "create", "kefu02", "--name", "客服二", "--role", HELPDESK) == 2
    assert "the two passwords differ" in capsys.readouterr().err


async def test_a_weak_password_is_refused_in_the_portals_words(put, cli_env, monkeypatch, capsys):
    assert await idp(monkeypatch, "staff", "create", "kefu03", "--name", "客服三", "--role", HELPDESK,
                     "--password-stdin", stdin="password\n") == 2
    assert "密码应为8~16个字符" in capsys.readouterr().err
    async with put.portal.reader() as db:
        assert await find_staff(db, "kefu03") is None


async def test_disable_enable_roles_and_reset_totp(put, cli_env, monkeypatch, capsys):
    await add_staff(put, "kefu04", [HELPDESK])
    assert await idp(monkeypatch, "staff", "disable", "kefu04") == 0
    async with put.http() as client:
        assert (await post_password(client, "kefu04")).status_code == 400
    assert await idp(monkeypatch, "staff", "disable", "kefu04") == 2
    assert "该工作人员已停用" in capsys.readouterr().err
    assert await idp(monkeypatch, "staff", "enable", "kefu04") == 0
    assert await idp(monkeypatch, "staff", "roles", "kefu04", "--role", ADMIN, "--role", BINDINGS) == 0
    assert await idp(monkeypatch, "staff", "reset-totp", "kefu04") == 0
    async with put.portal.reader() as db:
        account = await find_staff(db, "kefu04")
        assert await roles_of(db, account.id) == {ADMIN, BINDINGS}
    assert account.disabled_at is None and account.totp_secret_encrypted is None
    assert await idp(monkeypatch, "staff", "enable", "nobody") == 2
    assert "该工作人员不存在" in capsys.readouterr().err


async def test_demo_staff_one_role_each_enrol_at_first_sign_in(put):
    for _ in range(2):  # seeding again changes nothing
        async with put.portal.sessionmaker.begin() as db:
            lines = await seed_demo_staff(db, put.portal.passwords)
    assert sum("demo staff staff_" in line and DEMO_STAFF_PASSWORD in line for line in lines) == len(DEMO_STAFF) == 5
    async with put.portal.reader() as db:
        for username, _, role in DEMO_STAFF:
            account = await find_staff(db, username)
            assert await roles_of(db, account.id) == {role} and account.totp_enrolled_at is None
    async with put.http() as client:
        response = await post_password(client, "staff_helpdesk", DEMO_STAFF_PASSWORD)
        assert response.headers["location"] == "/staff/login/totp"
