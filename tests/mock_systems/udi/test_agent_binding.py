"""UDI lets an agent (经办人) bind existing sub-accounts only: an intent to create a new account
for an agent is refused by the system itself, whatever the portal let through; the same agent may
still bind an existing account, and a legal person may still create one."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mock_systems.common.models import LocalAccount, PortalLink
from mock_systems.udi import PROFILE as UDI
from shared.messages import text
from tests.support.fake_portal import FakePortal, bind_existing, browser_for, open_binding, system_with_fake_portal

AGENT_CLAIMS = {"name": "钱七", "account_type": "agent", "phone_number": "13900000000",
                "enterprise": {"name": "示例医疗器械有限公司", "unified_social_credit_code": "91110105PDY0001752"},
                "acting_person": {"sub": "person-sub", "name": "钱七"}}


@pytest.fixture
async def udi(databases):
    fake = FakePortal(UDI.client_id)
    async with system_with_fake_portal(UDI, fake, await databases.empty()) as app:
        async with browser_for(app, app.state.system.settings.base_url) as browser:
            app.state.browser = browser
            yield app


async def counts(app) -> tuple[int, int]:
    async with app.state.system.sessionmaker() as db:
        return (await db.scalar(select(func.count()).select_from(LocalAccount)),
                await db.scalar(select(func.count()).select_from(PortalLink)))


async def test_an_agent_creating_a_new_account_is_refused_and_nothing_is_made(udi):
    fake = udi.state.fake
    before = await counts(udi)
    response = await open_binding(udi, fake.intent("create", claims=AGENT_CLAIMS))
    assert response.status_code == 400 and text("system.binding.agent_may_not_create") in response.text
    assert await counts(udi) == before
    assert fake.calls_to("confirm") == [] and fake.calls_to("refused") == []


async def test_an_agent_may_bind_an_existing_account(udi):
    fake = udi.state.fake
    response = await bind_existing(udi, fake.intent("existing", claims=AGENT_CLAIMS), "udi_demo")
    assert response.status_code == 303 and len(fake.calls_to("confirm")) == 1


async def test_a_legal_person_may_still_create_an_account(udi):
    fake = udi.state.fake
    claims = {**AGENT_CLAIMS, "account_type": "legal_person"}
    response = await open_binding(udi, fake.intent("create", claims=claims))
    assert response.status_code == 303 and len(fake.calls_to("confirm")) == 1
