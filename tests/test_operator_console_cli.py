"""The operator's commands (idp.cli_operations) call the console's services: the same
transitions, the same refusals (exit code 2 with the portal's words), recorded with actor cli."""
from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import update

from idp import clock
from idp.accounts.models import Account, with_indexes
from idp.cli import main as idp_cli
from tests.support.signin import audit_events
from tests.support.tokens import code_flow, userinfo


async def cli(argv: list[str]) -> int:
    return await asyncio.to_thread(idp_cli, argv)


async def test_clients_are_disabled_and_enabled_from_the_command_line(put, browser, database_url, monkeypatch,
                                                                        capsys):
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)
    tokens = await code_flow(put, browser, put.rp, "openid profile")
    assert await cli(["clients", "disable", put.rp.client_id]) == 0
    put.portal.clients.invalidate()  # this test's instance: another process changed the row
    assert (await userinfo(put, tokens["access_token"])).status_code == 401
    assert await cli(["clients", "disable", put.rp.client_id]) == 2
    assert "该客户端已停用。" in capsys.readouterr().err
    assert await cli(["clients", "enable", put.rp.client_id]) == 0
    put.portal.clients.invalidate()
    assert (await userinfo(put, tokens["access_token"])).status_code == 200
    assert [e.actor for e in await audit_events(put, "client.disabled")] == ["cli"]


async def test_a_users_sessions_are_listed_and_ended_from_the_command_line(put, browser, database_url, monkeypatch,
                                                                           capsys):
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)
    await code_flow(put, browser, put.rp, "openid profile")
    assert await cli(["sessions", "list", "zhangsan"]) == 0
    assert "测试应用 rp" in capsys.readouterr().out
    assert await cli(["sessions", "end", "zhangsan"]) == 0
    assert "1 session(s) ended" in capsys.readouterr().out
    # The command's own delivery cannot reach the test's relying party; the outbox holds it.
    [logout] = await audit_events(put, "session.logout")
    assert logout.details["backchannel_clients"] and logout.details["reason"] == "ended_by_operator"
    [event] = await audit_events(put, "session.ended_by_operator")
    assert event.actor == "cli" and event.subject == put.account.subject
    assert await cli(["sessions", "end", "nobody"]) == 2
    assert "该用户名不存在。" in capsys.readouterr().err


async def test_accounts_are_found_unlocked_and_disabled_from_the_command_line(put, database_url, monkeypatch,
                                                                              capsys):
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)
    async with put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == put.account.id)
                         .values(**with_indexes({"id_number": "11010519491231002X"}),
                                 locked_until=clock.now() + dt.timedelta(minutes=5)))
    assert await cli(["accounts", "find", "11010519491231002X"]) == 0
    printed = capsys.readouterr().out
    assert "zhangsan" in printed and "11010519491231002X" not in printed and "locked" in printed
    assert await cli(["accounts", "unlock", "zhangsan"]) == 0
    assert await cli(["accounts", "unlock", "zhangsan"]) == 2
    assert "该账号未被锁定。" in capsys.readouterr().err
    assert await cli(["accounts", "disable", "zhangsan"]) == 0
    [event] = await audit_events(put, "account.disabled")
    assert event.actor == "cli" and event.subject == put.account.subject
    assert await cli(["accounts", "enable", "zhangsan"]) == 0
    assert await cli(["accounts", "enable", "zhangsan"]) == 2
    assert "该账号未被停用。" in capsys.readouterr().err
    [event] = await audit_events(put, "account.enabled")
    assert event.actor == "cli" and event.subject == put.account.subject


async def test_keys_are_listed_with_their_state_from_the_command_line(put, database_url, monkeypatch, capsys):
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)
    assert await cli(["keys", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all("\tsigning\t" in line for line in lines)
