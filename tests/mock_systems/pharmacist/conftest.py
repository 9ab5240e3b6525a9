"""The licensed-pharmacist system against the FAKE portal (tests/support/fake_portal.py): the
intents a test makes carry the claims of the person binding (个人登录 at 三级 by default), the
fake portal's UserInfo answers a login with them; the register is the seeded one (register.SEED)."""
from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.pharmacist import PROFILE as PHARMACIST
from mock_systems.pharmacist.models import QualificationRecord
from tests.support.fake_portal import (
    browser_for,
    open_binding,
    portal_login,
)
from tests.support.system_apps import staff_signed_in, system_app

WANG_FANG = {"name": "王芳", "id_number": "31000019920229024X"}  # an 18-digit record
WU_LI = {"name": "吴丽", "id_number": "110000196501010024"}  # a 15-digit record that converts to it
ZHOU_JIE = {"name": "周杰", "id_number": "310000197203151234"}  # a 15-digit record that does not
CHEN_MING = {"name": "陈明", "id_number": "51000019880808059X"}  # pharmacist_demo, an older account
SUN_WEI = {"name": "孙伟", "id_number": "410000198005150028"}  # pharmacist_demo2, 15 digits in the register


def person(who: dict, **changes) -> dict:
    """A person's claims as the portal gives them to the system: 个人登录, 三级 unless changed."""
    return {**who, "preferred_username": "user", "account_type": "personal", "realname_level": 3,
            "id_type": "居民身份证", **changes}


@pytest.fixture
async def pharmacist(system_database_url):
    async with system_app(PHARMACIST, system_database_url) as app:
        yield app


async def record_of(app, name: str) -> QualificationRecord:
    async with app.state.system.sessionmaker() as db:
        return await db.scalar(select(QualificationRecord).where(QualificationRecord.name == name))


async def created(app, sub: str, claims: dict) -> httpx.Response:
    """直接授权创建新的账号 by ``sub`` with ``claims``: the system's answer after the subject check."""
    return await open_binding(app, app.state.fake.intent("create", sub=sub, claims=claims))


async def pharmacist_browser(app, sub: str, claims: dict) -> httpx.AsyncClient:
    """A person bound by create-new, then logged in through the portal in a browser of its own."""
    answer = await created(app, sub, claims)
    assert answer.status_code == 303, answer.text[:500]
    browser = browser_for(app, app.state.system.settings.base_url)
    logged_in = await portal_login(app, browser, sub, claims)
    assert logged_in.status_code == 303, logged_in.text[:300]
    return browser


async def admin_browser(app, username: str = "pharmacist_admin",
                        password: str = DEMO_LOCAL_PASSWORD) -> httpx.AsyncClient:
    return await staff_signed_in(app, username, password, lands_on="/staff/register")
