"""The UDI system against the fake portal (tests/support/fake_portal.py), with helpers for its
review: an account created by binding and logged in through the portal, a reviewer logged in at
/staff/login, and the system's own tables read directly."""
from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.common.models import LocalAccount
from mock_systems.udi import PROFILE as UDI
from mock_systems.udi.models import Notification, Registration
from tests.support.fake_portal import (
    browser_for,
    open_binding,
    portal_login,
)
from tests.support.portal import hidden_fields
from tests.support.system_apps import linked_account, staff_signed_in, system_app

CREDIT_CODE = "91110105PDY0001752"
LEGAL_CLAIMS = {"name": "李四", "preferred_username": "demo_enterprise", "account_type": "legal_person",
                "phone_number": "13800000000", "email": "lisi@example.com",
                "enterprise": {"name": "示例医疗器械有限公司", "unified_social_credit_code": CREDIT_CODE}}
DETAILS = {"organisation_name": "示例医疗器械有限公司", "credit_code": CREDIT_CODE, "address": "北京市朝阳区示例路1号",
           "contact_name": "李四", "contact_phone": "13800000000", "contact_email": ""}


@pytest.fixture
async def udi(system_database_url):
    async with system_app(UDI, system_database_url) as app:
        yield app


@dataclass
class User:
    browser: httpx.AsyncClient
    sub: str
    account: LocalAccount


async def created_user(app, sub: str = "legal-sub-1", claims: dict | None = None) -> User:
    """直接授权创建新的账号 for ``sub``, then a login through the portal in a new browser."""
    claims = LEGAL_CLAIMS if claims is None else claims
    fake = app.state.fake
    bound = await open_binding(app, fake.intent("create", sub=sub, claims=claims))
    assert bound.status_code == 303, bound.text[:300]
    browser = browser_for(app, app.state.system.settings.base_url)
    logged_in = await portal_login(app, browser, sub, claims)
    assert logged_in.status_code == 303, logged_in.text[:300]
    account = await linked_account(app, sub)
    return User(browser, sub, account)


async def submit_details(user: User, **changes) -> httpx.Response:
    form = await user.browser.get("/organisation")
    assert form.status_code == 200 and 'action="/organisation"' in form.text, form.text[:300]
    return await user.browser.post("/organisation", data={**hidden_fields(form.text), **DETAILS, **changes})


async def staff_browser(app, username: str = "udi_staff", password: str = DEMO_LOCAL_PASSWORD) -> httpx.AsyncClient:
    return await staff_signed_in(app, username, password, lands_on="/staff/reviews")


async def review(staff: httpx.AsyncClient, registration: Registration, decision: str, **fields) -> httpx.Response:
    page = await staff.get("/staff/reviews")
    token = hidden_fields(page.text)["csrf_token"]
    return await staff.post(f"/staff/reviews/{registration.id}/{decision}",
                            data={"csrf_token": token, "submission": registration.submission, **fields})


async def registration_of(app, account_id: int) -> Registration | None:
    async with app.state.system.sessionmaker() as db:
        return await db.scalar(select(Registration).where(Registration.account_id == account_id))


async def notifications(app) -> list[Notification]:
    async with app.state.system.sessionmaker() as db:
        return list((await db.scalars(select(Notification).order_by(Notification.id))).all())
