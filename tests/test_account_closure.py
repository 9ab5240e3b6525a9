"""账号设置 → 注销账号 (PIPL Art. 47): the password, a code to the mobile and the warning
acknowledged; the account stops logging in at once (sessions, grants, back-channel logout), its
bindings end with the systems (不可解除 ones through staff's 绑定管理), a legal person's agents
lose their authorization, and once nothing is pending its personal data is erased. The audit
log keeps only the pseudonymous subject."""
from __future__ import annotations

import asyncio
import json
from html import unescape

import pytest
from sqlalchemy import select

from idp import clock
from idp.account_closure.erasure import ERASED_NAME
from idp.account_closure.states import finish_closing, start_closing
from idp.accounts.models import AccountTotp
from idp.accounts.service import AccountExists
from idp.audit.models import AuditEvent
from idp.bindings.models import Binding
from idp.consultations.models import Consultation
from idp.consultations.questions import UNBINDING
from idp.errors import DomainError
from idp.oidc.models import Consent, Grant
from idp.principals.models import Agency
from idp.space.closure import finish_due_closures
from idp.staff.roles import BINDINGS, OPERATOR
from idp.upstream_links.models import UpstreamLink
from shared.messages import text
from tests.support.agents import add_enterprise, add_person, authorize_agent, sessions_of
from tests.support.binding_flows import binding, bound, on_bindings_page
from tests.support.closure import CLOSE, ask_code, close, confirm
from tests.support.portal import PASSWORD, Browser, hidden_fields
from tests.support.signin import audit_events, received_tokens, settle_backchannel
from tests.support.space import alert, code_sent_to, fresh, signed_in
from tests.support.staff import add_staff, staff_sign_in
from tests.support.tokens import code_flow, userinfo

ID_NUMBER, MOBILE, EMAIL = "110000198506120133", "13800138000", "zhangsan@example.com"


async def test_closing_ends_every_login_at_once_and_erases_the_personal_data(put):
    browser = Browser(put)
    tokens = await code_flow(put, browser, put.rp, scope="openid profile phone")
    assert (await userinfo(put, tokens["access_token"])).status_code == 200
    page = await browser.go(CLOSE)
    assert "注销账号是不可恢复的操作" in page.text and "您的用户名将被保留" in page.text

    done = await close(put, browser, MOBILE)
    assert done.status_code == 200 and "账号已注销" in done.text

    account = await fresh(put, put.account.id)
    assert (account.closure_state, account.username, account.subject) == ("closed", "zhangsan", put.account.subject)
    assert account.disabled_at is not None and account.closed_at is not None
    assert (account.name, account.id_number, account.personal_id_number, account.mobile, account.personal_mobile,
            account.email) == (ERASED_NAME, None, None, None, None, None)
    # No login, no session, no token, and the system was told.
    assert (await browser.client.get("/space")).status_code == 303
    assert (await userinfo(put, tokens["access_token"])).status_code == 401
    async with put.portal.reader() as db:
        assert all(g.revoked_at is not None for g in (await db.scalars(select(Grant))).all())
        assert (await db.scalars(select(Consent))).all() == []
    await settle_backchannel(put)
    assert received_tokens(put, "rp.rp.example.test")
    fresh_browser = Browser(put)
    response = await fresh_browser.login(await fresh_browser.go("/login"), "zhangsan")
    assert unescape(alert(response.text)) == text("login.wrong_credentials")
    # The username stays reserved; the ID number and mobile are free for a new account.
    with pytest.raises(AccountExists):
        await put.add_account("zhangsan")
    await put.add_account("zhangsan2", account_type="personal", id_type="居民身份证", id_number=ID_NUMBER,
                          mobile=MOBILE)


async def test_the_audit_log_keeps_no_plaintext_personal_data_of_the_closed_account(put):
    browser = Browser(put)
    await code_flow(put, browser, put.rp, scope="openid profile phone id_number")
    await close(put, browser, MOBILE)
    async with put.portal.reader() as db:
        rows = (await db.scalars(select(AuditEvent))).all()
    dumped = json.dumps([[r.actor, r.subject, r.client_id, r.details] for r in rows], ensure_ascii=False)
    for value in (ID_NUMBER, MOBILE, EMAIL, "张三"):
        assert value not in dumped, value
    assert {"account.closure_requested", "account.closed"} <= {r.event for r in rows}
    [closed] = [r for r in rows if r.event == "account.closed"]
    assert closed.subject == put.account.subject


async def test_a_wrong_password_code_or_missing_confirmation_changes_nothing(put):
    browser = await signed_in(put, put.account)
    response = await ask_code(browser, "Guess#2026pass")
    assert response.status_code == 200  # the form again, with the message
    assert unescape(alert(response.text)) == text("settings.current_password_wrong")
    assert (await fresh(put, put.account.id)).failed_logins == 1
    page = await ask_code(browser)
    code = await code_sent_to(put, MOBILE)
    response = await confirm(browser, page, code, confirmed=False)
    assert unescape(alert(response.text)) == text("closure.confirm_required")
    wrong = "000000" if code != "000000" else "111111"
    response = await confirm(browser, page, wrong)
    assert unescape(alert(response.text)) == text("settings.code_wrong")
    account = await fresh(put, put.account.id)
    assert (account.closure_state, account.disabled_at, account.id_number) == ("active", None, ID_NUMBER)
    assert (await browser.client.get("/space")).status_code == 200
    failed = await audit_events(put, "account.closure_failed")
    assert [(e.outcome, e.details["reason"]) for e in failed] == [("failure", "wrong_password"),
                                                                  ("failure", "wrong_code")]


async def test_an_unbindable_binding_is_unbound_a_created_one_goes_to_staff_then_the_erasure(put):
    drug = await put.add_client("drug", display_name="药品业务应用系统")
    udi = await put.add_client("udi", display_name="医疗器械唯一标识管理信息系统")
    browser = await on_bindings_page(put, put.account)
    existing = await bound(put, browser, drug, "existing")
    created = await bound(put, browser, udi, "create")
    page = unescape((await browser.go(CLOSE)).text)
    assert "不可解除，将转交工作人员解除" in page and "自动解除" in page

    done = await close(put, browser, MOBILE)
    assert "注销申请已提交" in done.text
    assert (await binding(put, existing)).state == "ended"  # the system answered the unlink at once
    assert (await binding(put, created)).state == "active"
    account = await fresh(put, put.account.id)
    assert account.closure_state == "closing" and account.disabled_at is not None
    assert account.id_number == ID_NUMBER  # kept while staff still need to find the account
    async with put.portal.reader() as db:
        [request] = (await db.scalars(select(Consultation).where(Consultation.category == UNBINDING))).all()
    assert (request.account_id, request.system) == (put.account.id, "udi")
    assert await finish_due_closures(put.portal) == 0  # still pending; no second request either
    async with put.portal.reader() as db:
        assert len((await db.scalars(select(Consultation))).all()) == 1

    # 绑定管理 over HTTP: the request lists the closing account's binding; staff undo it.
    secret = await add_staff(put, "bangding01", BINDINGS)
    async with put.http() as staff:
        await staff_sign_in(staff, "bangding01", secret=secret)
        listed = await staff.get("/staff/bindings")
        assert f"/staff/bindings/{request.id}" in listed.text
        page = await staff.get(f"/staff/bindings/{request.id}")
        assert 'id="account-disabled"' in page.text and 'id="binding-udi" data-state="active"' in page.text
        done = await staff.post(f"/staff/bindings/{request.id}/unbind", data={
            "csrf_token": hidden_fields(page.text)["csrf_token"], "account": str(put.account.id),
            "binding": created, "reason": "用户注销账号"})
        assert done.status_code == 303 and "done=unbound" in done.headers["location"]
    assert (await binding(put, created)).state == "ended"
    assert await finish_due_closures(put.portal) == 1
    account = await fresh(put, put.account.id)
    assert (account.closure_state, account.id_number, account.mobile) == ("closed", None, None)
    async with put.portal.reader() as db:
        question = await db.get(Consultation, request.id)
    assert (question.id_number, question.mobile, question.name) == ("", "", ERASED_NAME)
    assert (await binding(put, existing)).local_account is None


async def test_a_legal_persons_agents_lose_their_authorization(put):
    enterprise = await add_enterprise(put, "acme_corp", "某某医疗器械有限公司", 1)
    person = await add_person(put, "lisi", "李四", 2)
    agency = await authorize_agent(put, enterprise, person)
    agent_browser = Browser(put)
    page = await agent_browser.go("/login")
    await agent_browser.login(page, "lisi", window="legal")
    assert [s.agency_id for s in await sessions_of(put, person.id) if s.ended_at is None] == [agency.id]

    await close(put, await signed_in(put, enterprise), enterprise.mobile)
    assert all(s.ended_at is not None for s in await sessions_of(put, person.id))
    [removed] = await audit_events(put, "agent.removed")
    assert removed.actor == enterprise.subject and removed.subject == person.subject
    closed = await fresh(put, enterprise.id)
    assert (closed.closure_state, closed.credit_code, closed.enterprise_name) == ("closed", None, None)
    assert (await fresh(put, person.id)).disabled_at is None  # the agent's own account is its own


async def test_an_agent_acting_for_an_enterprise_cannot_close_from_there(put):
    enterprise = await add_enterprise(put, "acme_corp", "某某医疗器械有限公司", 1)
    person = await add_person(put, "lisi", "李四", 2)
    await authorize_agent(put, enterprise, person)
    browser = Browser(put)
    await browser.login(await browser.go("/login"), "lisi", window="legal")
    page = await browser.go(CLOSE)
    assert unescape(alert(page.text)) == text("closure.agent_session") and 'id="close-form"' not in page.text
    response = await browser.submit(page, CLOSE, current_password=PASSWORD)  # the form posted anyway
    assert unescape(alert(response.text)) == text("closure.agent_session")
    assert (await fresh(put, person.id)).closure_state == "active"
    assert await audit_events(put, "account.closure_code_sent") == []


async def test_two_closures_at_once_close_once(put):
    first, second = await signed_in(put, put.account), await signed_in(put, put.account)
    page_one = await ask_code(first)
    code_one = await code_sent_to(put, MOBILE)
    page_two = await ask_code(second)
    code_two = await code_sent_to(put, MOBILE)
    answers = await asyncio.gather(confirm(first, page_one, code_one), confirm(second, page_two, code_two))
    assert sorted('id="closed"' in a.text for a in answers) == [False, True]
    [refused] = [a for a in answers if 'id="closed"' not in a.text]
    # Refused by the closure's state, or (when it came second) with its session, and so its flow,
    # already ended by the winner: 页面已过期 or the login page. Either way nothing else happened.
    assert (unescape(alert(refused.text) or "") in (text("closure.not_active"), text("flow.expired"))
            or "/login" in str(refused.url))
    assert len(await audit_events(put, "account.closure_requested")) == 1
    assert len(await audit_events(put, "account.closed")) == 1


async def test_a_binding_whose_system_refuses_the_unlink_goes_to_staff_from_the_background_loop(put):
    # The catalogue lets users undo a created link here, but the system refuses an unforced unlink.
    udi = await put.add_client("udi", display_name="医疗器械唯一标识管理信息系统",
                               unbindable_kinds=["existing", "created"])
    browser = await on_bindings_page(put, put.account)
    created = await bound(put, browser, udi, "create")
    await close(put, browser, MOBILE)
    assert (await binding(put, created)).state == "active"  # unbinding, then refused: active again
    async with put.portal.reader() as db:
        assert (await db.scalars(select(Consultation))).all() == []
    assert await finish_due_closures(put.portal) == 0
    assert await finish_due_closures(put.portal) == 0  # one request, however many rounds
    async with put.portal.reader() as db:
        [request] = (await db.scalars(select(Consultation))).all()
    assert (request.category, request.system, request.account_id) == (UNBINDING, "udi", put.account.id)
    assert (await fresh(put, put.account.id)).closure_state == "closing"


async def test_an_agent_closing_their_own_account_ends_their_authorizations(put):
    enterprise = await add_enterprise(put, "acme_corp", "某某医疗器械有限公司", 1)
    person = await add_person(put, "lisi", "李四", 2)
    agency = await authorize_agent(put, enterprise, person)
    async with put.portal.sessionmaker.begin() as db:  # a link to the upstream identity provider, and TOTP
        db.add(UpstreamLink(upstream="https://upstream.example.test", subject="up-lisi", account_id=person.id,
                            created_at=clock.now()))
        db.add(AccountTotp(account_id=person.id, totp_secret_encrypted="x", totp_enrolled_at=clock.now(),
                           created_at=clock.now()))
    data = (await (await signed_in(put, person)).client.get("/space/settings/personal-data")).text
    assert "up-lisi" in data

    await close(put, await signed_in(put, person), person.mobile)
    async with put.portal.reader() as db:
        assert (await db.get(Agency, agency.id)).removed_at is not None
        assert (await db.scalars(select(UpstreamLink))).all() == []
        assert await db.get(AccountTotp, person.id) is None
    assert (await fresh(put, person.id)).closure_state == "closed"
    assert (await fresh(put, enterprise.id)).disabled_at is None  # the enterprise goes on


async def test_an_operator_cannot_enable_a_closing_or_closed_account_again(put):
    browser = await on_bindings_page(put, put.account)
    udi = await put.add_client("udi", display_name="医疗器械唯一标识管理信息系统")
    await bound(put, browser, udi, "create")  # 不可解除: the closure waits for staff
    await close(put, browser, MOBILE)
    secret = await add_staff(put, "yunwei", [OPERATOR])
    async with put.http() as operator:
        await staff_sign_in(operator, "yunwei", secret=secret)
        csrf = (await operator.get("/staff/api/ops/me")).json()["csrf_token"]
        refused = await operator.post(f"/staff/api/ops/accounts/{put.account.id}/enable",
                                      headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 409 and refused.json()["message"] == text("ops.account_closed")
    account = await fresh(put, put.account.id)
    assert account.closure_state == "closing" and account.disabled_at is not None
    assert await audit_events(put, "account.enabled") == []


async def test_two_instances_finishing_one_closure_at_once_erase_once(put):
    udi = await put.add_client("udi", display_name="医疗器械唯一标识管理信息系统")
    browser = await on_bindings_page(put, put.account)
    created = await bound(put, browser, udi, "create")
    await close(put, browser, MOBILE)
    async with put.portal.sessionmaker.begin() as db:  # as if staff had undone it and the system answered
        row = await db.get(Binding, created)
        row.state, row.slot = "ended", None
    closed = await asyncio.gather(*(finish_due_closures(put.portal) for _ in range(3)))
    assert sum(closed) == 1
    assert len(await audit_events(put, "account.closed")) == 1
    assert (await fresh(put, put.account.id)).closure_state == "closed"


async def test_the_background_loop_finishes_a_closure_an_interruption_left_half_way(put):
    """The closing state committed, then the process died before the sessions and agencies ended."""
    enterprise = await add_enterprise(put, "acme_corp", "某某医疗器械有限公司", 1)
    person = await add_person(put, "lisi", "李四", 2)
    agency = await authorize_agent(put, enterprise, person)
    own = await signed_in(put, enterprise)
    async with put.portal.sessionmaker.begin() as db:
        await start_closing(db, enterprise.id)
    with pytest.raises(DomainError):  # not closed while an agency is live
        async with put.portal.sessionmaker.begin() as db:
            await finish_closing(db, enterprise.id)
    assert await finish_due_closures(put.portal) == 1  # ends what was held, then closes
    assert all(s.ended_at is not None for s in await sessions_of(put, enterprise.id))
    async with put.portal.reader() as db:
        assert (await db.get(Agency, agency.id)).removed_at is not None
    assert (await own.client.get("/space")).status_code == 303
    assert (await fresh(put, enterprise.id)).closure_state == "closed"
