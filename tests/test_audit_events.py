"""Every security event in the audit log, one case per event type: the action done over HTTP (or
the CLI), then the row it left — event, outcome, actor, client, source address and the subject (the
account concerned) (docs/helpdesk.md, "Event types"). Each case runs on a fresh portal."""
from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update

from idp.accounts.models import Account, with_indexes
from idp.audit.models import AuditEvent
from idp.cli import main as idp_cli
from idp.notify.models import OutboundMessage
from idp.staff.roles import BINDINGS
from tests.support.agents import add_enterprise, authorize_agent
from tests.support.binding_flows import binding_of, bound, unbind
from tests.support.bindings import bound_on_portal
from tests.support.consultations import file_question
from tests.support.login import attempt, open_login
from tests.support.portal import PASSWORD, Browser, PortalUnderTest, hidden_fields
from tests.support.registration import register_person
from tests.support.selfservice import last_code, lock, request_code
from tests.support.space import code_sent_to, signed_in
from tests.support.staff import add_staff, staff_sign_in
from tests.support.token_flows import get_code, redeem, token_call, tokens_for

HERE = "127.0.0.1"  # the test client's address, as the portal sees it
NEW_PASSWORD = "Neues#Passwort9"


@dataclass
class Expect:
    """The row one action leaves. ``actor``/``subject``: a callable of the test's setup when they
    are an account's subject, known only once it exists."""
    event: str
    actor: str | Callable[[Setup], str | None] | None
    subject: Callable[[Setup], str | None] | None
    outcome: str = "success"
    client_id: str | None = None
    source_ip: str | None = HERE


class Setup:
    """What a case made: the portal, a browser, and the accounts it names."""

    def __init__(self, put: PortalUnderTest, browser: Browser):
        self.put, self.browser = put, browser
        self.accounts: dict = {"zhangsan": put.account}


ZHANGSAN = lambda s: s.accounts["zhangsan"].subject  # noqa: E731
ENTERPRISE = lambda s: s.accounts["acme"].subject  # noqa: E731
WANGFANG = lambda s: s.accounts["wangfang"].subject  # noqa: E731
ZHANGSAN2 = lambda s: s.accounts["zhangsan2"].subject  # noqa: E731


async def events(put: PortalUnderTest, name: str) -> list[AuditEvent]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(AuditEvent).where(AuditEvent.event == name)
                                      .order_by(AuditEvent.id))).all())


# --- the actions --------------------------------------------------------------------------

async def log_in(s: Setup) -> None:
    response = await attempt(s.browser, await open_login(s.browser), "zhangsan")
    assert response.status_code == 303


async def wrong_password(s: Setup) -> None:
    await attempt(s.browser, await open_login(s.browser), "zhangsan", "Wrong#Pass123")


async def lock_out(s: Setup) -> None:
    for _ in range(s.put.settings.lockout_threshold):
        await wrong_password(s)


async def unlock(s: Setup) -> None:
    await lock(s.put, s.put.account.id)
    page = await request_code(s.browser, "/unlock", username="zhangsan", channel="sms", destination="13800138000")
    done = await s.browser.submit(page, "/unlock/verify", code=await last_code(s.put, "13800138000"))
    assert str(done.url).endswith("/unlock/done")


async def recover(s: Setup) -> None:
    page = await request_code(s.browser, "/recovery?way=code", username="zhangsan", channel="sms",
                              destination="13800138000")
    page = await s.browser.submit(page, "/recovery/verify", code=await last_code(s.put, "13800138000"))
    done = await s.browser.submit(page, "/recovery/password", password=NEW_PASSWORD, password_confirm=NEW_PASSWORD)
    assert str(done.url).endswith("/recovery/done")


async def change_password(s: Setup) -> None:
    me = await signed_in(s.put, s.put.account, s.browser)
    page = await me.go("/space/settings/password")
    done = await me.submit(page, "/space/settings/password", old_password=PASSWORD, new_password=NEW_PASSWORD,
                           confirm_password=NEW_PASSWORD)
    assert str(done.url).endswith("?done=password")


async def change_mobile(s: Setup) -> None:
    me = await signed_in(s.put, s.put.account, s.browser)
    page = await me.submit(await me.go("/space/settings/mobile"), "/space/settings/mobile", mobile="13700000000",
                           current_password=PASSWORD)
    done = await me.submit(page, "/space/settings/mobile/confirm", code=await code_sent_to(s.put, "13700000000"))
    assert str(done.url).endswith("?done=mobile")


async def register(s: Setup) -> None:
    done = await register_person(s.browser)
    assert done.status_code == 200 and "/register/personal/done" in str(done.url), done.text[:300]
    async with s.put.portal.reader() as db:
        s.accounts["wangfang"] = await db.scalar(select(Account).where(Account.username == "wangfang"))


async def upgrade(s: Setup) -> None:
    me = await signed_in(s.put, s.put.account, s.browser)
    confirm = await me.submit(await me.go("/upgrade"), "/upgrade")
    async with s.put.portal.reader() as db:
        [sent] = (await db.scalars(select(OutboundMessage).where(OutboundMessage.channel == "ctid"))).all()
    confirmation = re.search(r"验证码为(\d{6})", sent.body).group(1)
    done = await me.submit(confirm, "/upgrade/confirm", confirmation=confirmation)
    assert str(done.url).endswith("/upgrade/done")


async def bind(s: Setup) -> None:
    drug = await s.put.add_client("drug", display_name="药品业务应用系统")
    me = await signed_in(s.put, s.put.account, s.browser)
    await bound(s.put, me, drug, "existing")


async def unbind_own(s: Setup) -> None:
    await bind(s)
    assert (await unbind(s.browser, "drug")).status_code in (200, 303)


async def force_unbind(s: Setup) -> None:
    await s.put.add_client("drug", display_name="药品业务应用系统", binding_api_uri="http://127.0.0.1:9")
    await bound_on_portal(s.put, s.put.account, "drug", "created")
    assert await cli(s, ["bindings", "force-unbind", "zhangsan", "drug", "--reason", "咨询单 1", "--staff",
                         "kefu-01"]) == 0


async def system_notice(s: Setup) -> None:
    udi = await s.put.add_client("udi", display_name="医疗器械唯一标识管理信息系统")
    await bound_on_portal(s.put, s.put.account, "udi", "created")
    async with s.put.http() as http:
        response = await http.post("/api/notices", auth=(udi.client_id, udi.client_secret), json={
            "sub": s.put.account.subject, "title": "注册用户信息审核结果：审核通过", "body": "已审核通过。"})
    assert response.status_code == 201


async def deactivate_duplicate(s: Setup) -> None:
    duplicate = await s.put.add_account("zhangsan2", id_type="居民身份证", id_number="110105199001010771",
                                        realname_level=2)
    s.accounts["zhangsan2"] = duplicate
    async with s.put.portal.sessionmaker.begin() as db:
        await db.execute(update(Account).where(Account.id == duplicate.id).values(
            with_indexes({"id_number": s.put.account.id_number})))
    request = await file_question(s.put, account_id=duplicate.id)
    secret = await add_staff(s.put, "bangding01", BINDINGS)
    async with s.put.http() as staff:
        await staff_sign_in(staff, "bangding01", secret=secret)
        page = await staff.get(f"/staff/bindings/{request.id}")
        response = await staff.post(f"/staff/bindings/{request.id}/deactivate", data={
            "csrf_token": hidden_fields(page.text)["csrf_token"], "account": str(duplicate.id)})
    assert response.status_code == 303


async def enterprise_with_agent_page(s: Setup):
    s.accounts["acme"] = await add_enterprise(s.put, "acme", "示例医疗器械有限公司", 1)
    return await signed_in(s.put, s.accounts["acme"], s.browser)


async def add_agent(s: Setup) -> None:
    legal = await enterprise_with_agent_page(s)
    page = await legal.go("/space/agents")
    added = await legal.client.post("/space/agents", data={"csrf_token": hidden_fields(page.text)["csrf_token"],
                                                           "id_number": s.put.account.id_number})
    assert added.status_code == 303


async def _agency(s: Setup):
    legal = await enterprise_with_agent_page(s)
    agency = await authorize_agent(s.put, s.accounts["acme"], s.put.account)
    return legal, agency


async def authorize_system(s: Setup) -> None:
    legal, agency = await _agency(s)
    await s.put.add_client("combination", display_name="药械组合产品属性界定信息系统")
    path = f"/space/agents/{agency.id}/bindings/combination"
    page = await legal.go(path)
    binding_of(await legal.client.post(path, data={"csrf_token": hidden_fields(page.text)["csrf_token"],
                                                   "mode": "create"}))


async def revoke_system(s: Setup) -> None:
    legal, agency = await _agency(s)
    await s.put.add_client("combination", display_name="药械组合产品属性界定信息系统")
    await bound_on_portal(s.put, s.put.account, "combination", "created", agency=agency)
    page = await legal.go(f"/space/agents/{agency.id}")
    done = await legal.client.post(f"/space/agents/{agency.id}/bindings/combination/revoke",
                                   data={"csrf_token": hidden_fields(page.text)["csrf_token"]})
    assert done.status_code == 303


async def remove_agent(s: Setup) -> None:
    legal, agency = await _agency(s)
    page = await legal.go(f"/space/agents/{agency.id}")
    done = await legal.client.post(f"/space/agents/{agency.id}/remove",
                                   data={"csrf_token": hidden_fields(page.text)["csrf_token"]})
    assert done.status_code == 303


async def issue_token(s: Setup) -> None:
    await tokens_for(s.put, s.browser, s.put.rp)


async def bad_code(s: Setup) -> None:
    response = await redeem(s.put, s.put.rp, "no-such-code", "v" * 43)
    assert response.json()["error"] == "invalid_grant"


async def replayed_code(s: Setup) -> None:
    code, verifier = await get_code(s.browser, s.put.rp)
    assert (await redeem(s.put, s.put.rp, code, verifier)).status_code == 200
    assert (await redeem(s.put, s.put.rp, code, verifier)).json()["error"] == "invalid_grant"


async def unsupported_grant(s: Setup) -> None:
    response = await token_call(s.put, {"grant_type": "password"}, client=s.put.rp)
    assert response.json()["error"] == "unsupported_grant_type"


async def bad_client(s: Setup) -> None:
    response = await token_call(s.put, {"grant_type": "client_credentials"},
                                headers={"Authorization": "Basic cnA6d3Jvbmc="})  # rp:wrong
    assert response.json()["error"] == "invalid_client"


async def revoke_token(s: Setup) -> None:
    tokens = await tokens_for(s.put, s.browser, s.put.rp, scope="openid offline_access")
    async with s.put.http() as http:
        response = await http.post("/revoke", auth=(s.put.rp.client_id, s.put.rp.client_secret),
                                   data={"token": tokens["refresh_token"]})
    assert response.status_code == 200


async def cli(s: Setup, argv: list[str]) -> int:
    return await asyncio.to_thread(idp_cli, argv)


async def cli_add_client(s: Setup) -> None:
    assert await cli(s, ["clients", "add", "newapp", '{"display_name": "新系统", "redirect_uris": '
                                                     '["https://newapp.example.cn/cb"]}']) == 0


async def cli_rotate_secret(s: Setup) -> None:
    assert await cli(s, ["clients", "rotate-secret", "rp"]) == 0


async def cli_load_catalogue(s: Setup) -> None:
    assert await cli(s, ["clients", "load-catalogue"]) == 0


async def cli_rotate_keys(s: Setup) -> None:
    assert await cli(s, ["keys", "rotate"]) == 0


async def cli_rewrap_keys(s: Setup) -> None:
    assert await cli(s, ["keys", "rewrap"]) == 0


Action = Callable[[Setup], Awaitable[None]]
CASES: list[tuple[Action, list[Expect]]] = [
    (log_in, [Expect("login.succeeded", ZHANGSAN, ZHANGSAN)]),
    (wrong_password, [Expect("login.failed", ZHANGSAN, ZHANGSAN, "failure")]),
    (lock_out, [Expect("account.locked", ZHANGSAN, ZHANGSAN)]),
    (unlock, [Expect("unlock.requested", ZHANGSAN, ZHANGSAN), Expect("unlock.completed", ZHANGSAN, ZHANGSAN)]),
    (recover, [Expect("recovery.requested", ZHANGSAN, ZHANGSAN), Expect("recovery.code_verified", ZHANGSAN, ZHANGSAN),
               Expect("password.reset", ZHANGSAN, ZHANGSAN)]),
    (change_password, [Expect("password.changed", ZHANGSAN, ZHANGSAN)]),
    (change_mobile, [Expect("account.mobile_change_requested", ZHANGSAN, ZHANGSAN),
                     Expect("account.mobile_changed", ZHANGSAN, ZHANGSAN)]),
    (register, [Expect("registration.personal.completed", WANGFANG, WANGFANG),
                Expect("account.created", WANGFANG, WANGFANG, source_ip=None)]),
    (upgrade, [Expect("realname.upgrade_started", ZHANGSAN, ZHANGSAN),
               Expect("realname.upgraded", ZHANGSAN, ZHANGSAN)]),
    (bind, [Expect("binding.started", ZHANGSAN, ZHANGSAN, client_id="drug"),
            Expect("binding.confirmed", "system:drug", ZHANGSAN, client_id="drug", source_ip=None)]),
    (unbind_own, [Expect("binding.unbind_requested", ZHANGSAN, ZHANGSAN, client_id="drug"),
                  Expect("binding.unbound", lambda s: f"account:{s.accounts['zhangsan'].subject}", ZHANGSAN,
                         client_id="drug", source_ip=None)]),
    (force_unbind, [Expect("binding.force_unbind", "staff:kefu-01", ZHANGSAN, client_id="drug", source_ip=None)]),
    (system_notice, [Expect("inbox.system_notice", "system:udi", ZHANGSAN, client_id="udi")]),
    (deactivate_duplicate, [Expect("account.deactivated", "staff:bangding01", ZHANGSAN2)]),
    (add_agent, [Expect("agent.added", ENTERPRISE, ZHANGSAN)]),
    (authorize_system, [Expect("agent.binding_authorized", ENTERPRISE, ZHANGSAN, client_id="combination")]),
    (revoke_system, [Expect("agent.binding_revoked", ENTERPRISE, ZHANGSAN, client_id="combination"),
                     Expect("binding.agent_revoked", lambda s: f"legal:{s.accounts['acme'].subject}", ZHANGSAN,
                            client_id="combination", source_ip=None)]),
    (remove_agent, [Expect("agent.removed", ENTERPRISE, ZHANGSAN)]),
    (issue_token, [Expect("login.succeeded", ZHANGSAN, ZHANGSAN, client_id="rp"),  # a login for a client
                   Expect("token.issued", ZHANGSAN, ZHANGSAN, client_id="rp")]),
    (bad_code, [Expect("token.refused", "rp", None, "failure", client_id="rp")]),
    (replayed_code, [Expect("authorization.code_reused", None, None, "failure", client_id="rp"),
                     Expect("token.refused", "rp", None, "failure", client_id="rp")]),
    (unsupported_grant, [Expect("token.refused", "rp", None, "failure", client_id="rp")]),
    (bad_client, [Expect("client.authentication_failed", None, None, "failure", client_id="rp")]),
    (revoke_token, [Expect("token.revoked", "rp", ZHANGSAN, client_id="rp")]),
    (cli_add_client, [Expect("client.added", "cli", None, client_id="newapp", source_ip=None),
                      Expect("client.secret_rotated", "cli", None, client_id="newapp", source_ip=None)]),
    (cli_rotate_secret, [Expect("client.secret_rotated", "cli", None, client_id="rp", source_ip=None)]),
    (cli_load_catalogue, [Expect("client.catalogue_loaded", "cli", None, source_ip=None)]),
    (cli_rotate_keys, [Expect("keys.rotated", "cli", None, source_ip=None)]),
    (cli_rewrap_keys, [Expect("keys.rewrapped", "cli", None, source_ip=None)]),
]


@pytest.mark.parametrize(("action", "expected"), CASES, ids=[action.__name__ for action, _ in CASES])
async def test_the_action_leaves_its_event(put, browser, database_url, monkeypatch, action, expected):
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)  # for the CLI's cases
    setup = Setup(put, browser)
    await action(setup)
    for expect in expected:
        rows = await events(put, expect.event)
        assert rows, f"no {expect.event} event"
        row = rows[-1]
        actor = expect.actor(setup) if callable(expect.actor) else expect.actor
        subject = expect.subject(setup) if expect.subject else actor  # the actor, when it is about no account
        assert (row.outcome, row.actor, row.client_id, row.source_ip, row.subject) == \
            (expect.outcome, actor, expect.client_id, expect.source_ip, subject), expect.event
        assert row.at is not None


async def test_a_refused_token_request_says_why(put, browser):
    await bad_code(Setup(put, browser))
    await unsupported_grant(Setup(put, browser))
    refused = await events(put, "token.refused")
    assert [(e.details["error"], e.details.get("grant_type")) for e in refused] == \
        [("invalid_grant", "authorization_code"), ("unsupported_grant_type", "password")]


async def test_loading_an_unchanged_catalogue_again_records_no_client_change(put, database_url, monkeypatch):
    monkeypatch.setenv("IDP_DATABASE_URL", database_url)
    before = len(await events(put, "client.updated")) + len(await events(put, "client.added"))
    assert await asyncio.to_thread(idp_cli, ["clients", "load-catalogue"]) == 0
    assert len(await events(put, "client.updated")) + len(await events(put, "client.added")) == before
    [loaded] = await events(put, "client.catalogue_loaded")
    assert loaded.details["systems"] > 0
