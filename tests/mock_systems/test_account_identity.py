"""Who a local account is at the portal (LocalAccount.enterprise_code, portal_account_type): set
from the claims when 直接授权创建新的账号 makes it, refreshed from UserInfo at each login through
the portal, against a FAKE portal (tests/support/fake_portal.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from mock_systems.common.db import utcnow
from mock_systems.common.models import LinkKind, LocalAccount, PortalLink
from mock_systems.drug import PROFILE as DRUG
from tests.support.fake_portal import FakePortal, browser_for, open_binding, portal_login, system_with_fake_portal

CODE = "91110105PDY0001752"
ENTERPRISE = {"name": "示例药业股份有限公司", "unified_social_credit_code": CODE,
              "legal_representative": "李四"}
LEGAL = {"name": "李四", "account_type": "legal_person", "enterprise": ENTERPRISE}
AGENT = {"name": "王五", "account_type": "agent", "enterprise": ENTERPRISE,
         "acting_person": {"sub": "person-wangwu", "name": "王五"}}


@pytest.fixture
async def drug(databases):
    fake = FakePortal(DRUG.client_id)
    async with system_with_fake_portal(DRUG, fake, await databases.empty()) as app:
        async with browser_for(app, app.state.system.settings.base_url) as browser:
            app.state.browser = browser
            yield app


async def account_named(app, username: str) -> LocalAccount:
    async with app.state.system.sessionmaker() as db:
        return await db.scalar(select(LocalAccount).where(LocalAccount.username == username))


async def link(app, sub: str, username: str) -> None:
    account = await account_named(app, username)
    async with app.state.system.sessionmaker.begin() as db:
        db.add(PortalLink(issuer=app.state.system.settings.issuer, portal_subject=sub,
                           local_account_id=account.id, kind=LinkKind.bound_existing,
                          linked_at=utcnow()))


async def test_an_account_created_by_binding_knows_its_enterprise_and_type(drug):
    binding_id = drug.state.fake.intent("create", sub="agent-sub-1", claims=AGENT)
    assert (await open_binding(drug, binding_id)).status_code == 303
    async with drug.state.system.sessionmaker() as db:
        account = await db.scalar(select(LocalAccount).join(PortalLink, PortalLink.local_account_id
                                                            == LocalAccount.id))
    assert (account.enterprise_code, account.portal_account_type) == (CODE, "agent")
    assert account.display_name == "王五" and account.organisation == "示例药业股份有限公司"


async def test_a_demo_account_is_nobody_at_the_portal_until_it_logs_in_through_it(drug):
    account = await account_named(drug, "drug_demo")
    assert (account.enterprise_code, account.portal_account_type) == ("", "")


async def test_each_portal_login_refreshes_the_enterprise_and_type_from_userinfo(drug):
    browser = drug.state.browser
    await link(drug, "sub-1", "drug_demo")

    assert (await portal_login(drug, browser, "sub-1", LEGAL)).status_code == 303
    account = await account_named(drug, "drug_demo")
    assert (account.enterprise_code, account.portal_account_type) == (CODE, "legal_person")

    other = {**LEGAL, "enterprise": {**ENTERPRISE, "unified_social_credit_code": "91310000MA1FL0000X"}}
    await portal_login(drug, browser, "sub-1", other)
    assert (await account_named(drug, "drug_demo")).enterprise_code == "91310000MA1FL0000X"

    # A personal account has no enterprise, whatever else the claims carry.
    await portal_login(drug, browser, "sub-1", {"name": "李四", "account_type": "personal", "enterprise": ENTERPRISE})
    account = await account_named(drug, "drug_demo")
    assert (account.enterprise_code, account.portal_account_type) == ("", "personal")


async def test_an_unknown_account_type_counts_as_none(drug):
    await link(drug, "sub-2", "drug_demo2")
    await portal_login(drug, drug.state.browser, "sub-2", {**LEGAL, "account_type": "administrator"})
    account = await account_named(drug, "drug_demo2")
    assert (account.enterprise_code, account.portal_account_type) == ("", "")
