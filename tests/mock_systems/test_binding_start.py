"""授权绑定 on the business system's side (docs/binding-protocol.md, Bind), against a FAKE portal
(tests/support/fake_portal.py): 直接授权创建新的账号 and 已有用户的登录授权, their errors word for
word, and the rules the unique constraints enforce (one link per portal account, per local
account, and per binding id; a cancelled or expired binding never links)."""
from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.common.models import BindingRecord, LinkKind, LocalAccount, OutboxMessage, PortalLink
from mock_systems.drug import PROFILE as DRUG
from shared.binding import PORTAL_BINDINGS_PAGE, SYSTEM_CANCEL
from shared.messages import text
from tests.support.fake_portal import (
    CAPTCHA,
    FakePortal,
    bind_existing,
    browser_for,
    open_binding,
    system_with_fake_portal,
)
from tests.support.portal import hidden_fields

LEGAL_CLAIMS = {"name": "李四", "preferred_username": "demo_enterprise", "phone_number": "13800000000",
                "enterprise": {"name": "示例医疗器械有限公司", "unified_social_credit_code": "91110105PDY0001752"}}


@pytest.fixture
async def drug(databases):
    """The drug system (no required fields) and its fake portal."""
    fake = FakePortal(DRUG.client_id)
    async with system_with_fake_portal(DRUG, fake, await databases.empty()) as app:
        app.state.fake = fake
        async with browser_for(app, app.state.system.settings.base_url) as browser:
            app.state.browser = browser
            yield app


async def links(app) -> list[tuple[PortalLink, LocalAccount]]:
    async with app.state.system.sessionmaker() as db:
        return [tuple(row) for row in (await db.execute(select(PortalLink, LocalAccount).join(
            LocalAccount, LocalAccount.id == PortalLink.local_account_id))).all()]


def back_to_portal(response: httpx.Response, fake: FakePortal) -> dict:
    assert response.status_code == 303, response.text[:500]
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == fake.issuer + PORTAL_BINDINGS_PAGE
    return {k: v[0] for k, v in parse_qs(target.query).items()}


async def test_create_new_makes_an_account_from_the_claims_and_confirms_with_basic_auth(drug):
    fake = drug.state.fake
    binding_id = fake.intent("create", sub="legal-sub-1", claims=LEGAL_CLAIMS)
    response = await open_binding(drug, binding_id)
    assert back_to_portal(response, fake)["result"] == "linked"
    ((link, account),) = await links(drug)
    assert link.portal_subject == "legal-sub-1" and link.kind is LinkKind.created_by_binding
    assert link.binding_id == binding_id and account.password_hash is None
    assert (account.display_name, account.organisation, account.contact_phone) == \
        ("李四", "示例医疗器械有限公司", "13800000000")
    assert account.username.startswith("drug_")
    intent_calls = [c for c in fake.calls if c.method == "GET"]  # before and after the subject check
    (confirm,) = fake.calls_to("confirm", binding_id)
    assert intent_calls and {c.basic for c in intent_calls} == {confirm.basic} == {("drug", fake.client_secret)}
    assert confirm.json == {"kind": "created", "local_account": account.username}


async def test_bind_existing_with_the_right_credentials_links_that_account(drug):
    fake = drug.state.fake
    binding_id = fake.intent("existing", sub="personal-sub-1")
    response = await bind_existing(drug, binding_id, "Drug_Demo")
    assert back_to_portal(response, fake)["result"] == "linked"
    ((link, account),) = await links(drug)
    assert (link.portal_subject, account.username, link.kind) == ("personal-sub-1", "drug_demo",
                                                                 LinkKind.bound_existing)
    assert fake.calls_to("confirm", binding_id)[0].json == {"kind": "existing", "local_account": "drug_demo"}


@pytest.mark.parametrize("username, password, message", [
    ("nobody", DEMO_LOCAL_PASSWORD, "用户绑定授权异常: 用户不存在"),
    ("drug_demo", "Wrong@2026pass", "用户绑定授权异常: 密码错误"),
])
async def test_bind_existing_says_which_credential_is_wrong(drug, username, password, message):
    binding_id = drug.state.fake.intent("existing")
    response = await bind_existing(drug, binding_id, username, password)
    assert response.status_code == 400 and message in response.text
    assert await links(drug) == [] and drug.state.fake.calls_to("confirm") == []


async def test_bind_existing_with_a_wrong_captcha_is_refused(drug):
    response = await bind_existing(drug, drug.state.fake.intent("existing"), "drug_demo", captcha="WRONG")
    assert response.status_code == 400 and text("captcha.wrong") in response.text
    assert await links(drug) == []


async def test_a_local_account_linked_to_another_portal_account_is_refused(drug):
    fake = drug.state.fake
    assert back_to_portal(await bind_existing(drug, fake.intent("existing", sub="first"), "drug_demo"), fake)
    second = fake.intent("existing", sub="second")
    response = await bind_existing(drug, second, "drug_demo")
    assert response.status_code == 409 and text("system.binding.account_taken") in response.text
    assert [link.portal_subject for link, _ in await links(drug)] == ["first"]
    assert fake.calls_to("refused", second)[0].json == {"reason": "local_account_taken"}
    again = await open_binding(drug, second)  # refused once, for good
    assert again.status_code == 200
    assert (await bind_existing(drug, second, "drug_demo2")).status_code == 409
    assert len(await links(drug)) == 1


async def test_a_portal_account_already_linked_is_refused_with_the_system_name(drug):
    fake = drug.state.fake
    assert back_to_portal(await bind_existing(drug, fake.intent("existing", sub="same"), "drug_demo"), fake)
    second = fake.intent("create", sub="same")
    response = await open_binding(drug, second)
    assert response.status_code == 409
    assert "用户绑定授权异常：当前政务门户用户已经绑定了药品业务应用系统，请勿重新绑定！" in response.text
    assert fake.calls_to("refused", second)[0].json == {"reason": "subject_already_linked"}
    async with drug.state.system.sessionmaker() as db:  # the account made for it was rolled back
        assert await db.scalar(select(func.count()).select_from(LocalAccount)) == 2


async def test_twenty_parallel_completions_of_one_binding_make_one_link(drug):
    fake = drug.state.fake
    binding_id = fake.intent("create", sub="racer", claims=LEGAL_CLAIMS)
    app = drug
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_start(app, binding_id)) for _ in range(20)]
    assert all(back_to_portal(task.result(), fake)["result"] == "linked" for task in tasks)
    assert len(await links(drug)) == 1
    async with drug.state.system.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(LocalAccount)) == 3  # two demo + one
        assert await db.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert len(fake.calls_to("confirm", binding_id)) == 1


async def _start(app, binding_id: str) -> httpx.Response:
    async with browser_for(app, app.state.system.settings.base_url) as browser:
        return await open_binding(app, binding_id, browser)


async def test_a_cancelled_binding_never_links(drug):
    fake = drug.state.fake
    binding_id = fake.intent("existing", sub="late")
    page = await open_binding(drug, binding_id)  # the page is open…
    cancel = await drug.state.browser.post(SYSTEM_CANCEL.format(binding_id=binding_id), headers={
        "Authorization": "Bearer " + fake.sign("cancel", binding_id=binding_id)})
    assert cancel.json() == {"status": "cancelled"}
    late = await drug.state.browser.post("/binding/start", data={  # …and submitted after the cancel
        **hidden_fields(page.text), "username": "drug_demo", "password": DEMO_LOCAL_PASSWORD, "captcha": CAPTCHA})
    assert late.status_code == 409 and text("system.binding.cancelled") in late.text
    assert await links(drug) == [] and fake.calls_to("confirm") == []
    async with drug.state.system.sessionmaker() as db:
        assert (await db.get(BindingRecord, binding_id)).outcome.value == "cancelled"


@pytest.mark.parametrize("change", [{"expires_in": -1}, {"state": "failed"}, {"client_id": "udi"}])
async def test_an_expired_ended_or_foreign_intent_is_refused(drug, change):
    binding_id = drug.state.fake.intent("create", **change)
    response = await open_binding(drug, binding_id)
    assert response.status_code == 400 and "授权绑定请求" in response.text
    assert await links(drug) == [] and drug.state.fake.calls_to("confirm") == []


async def test_an_unknown_binding_id_or_wrong_client_secret_links_nothing(drug):
    fake = drug.state.fake
    assert (await drug.state.browser.get("/binding/start?binding=unknown")).status_code == 400
    binding_id = fake.intent("create")
    fake.client_secret = "rotated"  # the portal no longer accepts our credentials
    assert (await open_binding(drug, binding_id)).status_code == 400
    assert await links(drug) == []


async def test_a_database_from_before_the_binding_columns_is_named_at_start_up(tmp_path):
    """create_all never alters a table: a development database made by an older version would
    fail at the first binding; start-up says which columns are missing instead."""
    import sqlite3

    from mock_systems.common.db import create_engine
    from mock_systems.common.schema import create_tables

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE portal_links (id INTEGER PRIMARY KEY, portal_subject VARCHAR(255))")
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        with pytest.raises(RuntimeError, match="portal_links.binding_id"):
            await create_tables(engine)
    finally:
        await engine.dispose()


async def test_twenty_portal_accounts_binding_one_local_account_in_parallel_make_one_link(drug):
    fake = drug.state.fake
    bindings = [fake.intent("existing", sub=f"rival-{n}") for n in range(20)]
    browsers = [browser_for(drug, drug.state.system.settings.base_url) for _ in bindings]
    pages = [await open_binding(drug, b, browser) for browser, b in zip(browsers, bindings, strict=True)]
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(browser.post("/binding/start", data={
            **hidden_fields(page.text), "username": "drug_demo", "password": DEMO_LOCAL_PASSWORD,
            "captcha": CAPTCHA})) for browser, page in zip(browsers, pages, strict=True)]
    for browser in browsers:
        await browser.aclose()
    assert sorted(task.result().status_code for task in tasks) == [303] + [409] * 19
    ((link, account),) = await links(drug)
    assert account.username == "drug_demo"
    refused = [c.path for c in fake.calls if c.path.endswith("/refused")]
    assert len(refused) == 19 and len(fake.calls_to("confirm")) == 1
    assert f"/{link.binding_id}/" in fake.calls_to("confirm")[0].path


@pytest.mark.parametrize(("claims", "shown", "hidden"), [
    ({**LEGAL_CLAIMS, "account_type": "legal_person"}, "示例医疗器械有限公司", "李四"),
    ({"name": "王五", "account_type": "agent", "enterprise": {"name": "示例医疗器械有限公司"}},
     "示例医疗器械有限公司（经办人：王五）", None),
    ({"name": "张三", "account_type": "personal"}, "张三", None),
])
async def test_the_binding_page_names_a_legal_person_by_its_enterprise(drug, claims, shown, hidden):
    page = await open_binding(drug, drug.state.fake.intent("existing", sub="sub-1", claims=claims))
    assert page.status_code == 200
    assert f'<strong id="portal-name">{shown}</strong>' in page.text
    if hidden:
        assert hidden not in page.text
