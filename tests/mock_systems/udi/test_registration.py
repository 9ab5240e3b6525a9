"""机构信息完善 and the access gate (mock_systems/udi/registration.py): an account created by
binding reaches nothing of the system before staff approve its organisation details; accounts
that existed before are not asked."""
from __future__ import annotations

from sqlalchemy import func, select

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.udi.models import Registration, RegistrationState
from shared.messages import text
from tests.mock_systems.udi.conftest import (
    CREDIT_CODE,
    DETAILS,
    LEGAL_CLAIMS,
    created_user,
    registration_of,
    submit_details,
)
from tests.support.fake_portal import bind_existing, browser_for, portal_login
from tests.support.portal import hidden_fields


async def registrations(app) -> int:
    async with app.state.system.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(Registration))


async def test_every_page_sends_a_new_account_to_the_organisation_form_prefilled_from_the_portal(udi):
    user = await created_user(udi)
    for path in ("/", "/account/settings"):
        page = await user.browser.get(path)
        assert page.status_code == 303 and page.headers["location"] == "/organisation", path
    unbind = await user.browser.post("/account/unbind", data={"csrf_token": "x"})
    assert unbind.status_code == 303 and unbind.headers["location"] == "/organisation"
    form = await user.browser.get("/organisation")
    assert form.status_code == 200 and "<h1>机构信息完善</h1>" in form.text
    assert f'name="credit_code" value="{CREDIT_CODE}"' in form.text
    assert 'name="organisation_name" value="示例医疗器械有限公司"' in form.text
    assert 'name="contact_phone" value="13800000000"' in form.text
    assert 'name="contact_email" value=""' in form.text


async def test_a_personal_account_gets_an_empty_credit_code(udi):
    user = await created_user(udi, "personal-sub", {"name": "王五", "account_type": "personal"})
    form = await user.browser.get("/organisation")
    assert 'name="credit_code" value=""' in form.text and 'name="contact_name" value="王五"' in form.text


async def test_submitting_puts_the_account_under_review_and_shows_only_that(udi):
    user = await created_user(udi)
    answer = await submit_details(user, contact_email="Contact@Example.COM", credit_code="91110105pdy0001752")
    assert answer.status_code == 303 and answer.headers["location"] == "/organisation"
    page = await user.browser.get("/organisation")
    assert 'data-state="pending"' in page.text and "待审核" in page.text
    assert "5 个工作日之内" in page.text and "邮件（Contact@example.com）" in page.text
    registration = await registration_of(udi, user.account.id)
    assert registration.state is RegistrationState.pending and registration.submission == 1
    assert (registration.credit_code, registration.contact_email) == (CREDIT_CODE, "Contact@example.com")
    for path in ("/", "/account/settings"):
        assert (await user.browser.get(path)).headers["location"] == "/organisation"


async def test_no_editing_while_under_review(udi):
    user = await created_user(udi)
    await submit_details(user)
    page = await user.browser.get("/organisation")
    again = await user.browser.post("/organisation", data={**hidden_fields(page.text), **DETAILS,
                                                           "organisation_name": "另一家公司"})
    assert again.status_code == 409 and text("udi.already_submitted") in again.text
    assert (await registration_of(udi, user.account.id)).organisation_name == DETAILS["organisation_name"]


async def test_bad_input_is_refused_field_by_field_and_changes_nothing(udi):
    user = await created_user(udi)
    answer = await submit_details(user, organisation_name="", credit_code="91110105PDY0001753",
                                  contact_phone="12345", contact_email="not-an-email")
    assert answer.status_code == 400
    assert text("udi.field_required", field="机构名称") in answer.text
    assert text("credit_code.check") in answer.text
    assert text("mobile.format") in answer.text and text("email.format") in answer.text
    assert 'value="12345"' in answer.text  # what was typed comes back to be corrected
    assert await registrations(udi) == 0


async def test_a_forged_submission_is_refused(udi):
    user = await created_user(udi)
    await user.browser.get("/organisation")
    answer = await user.browser.post("/organisation", data={**DETAILS, "csrf_token": "forged"})
    assert answer.status_code == 403 and text("page.expired") in answer.text
    assert await registrations(udi) == 0


async def test_not_logged_in_gets_no_form(udi):
    answer = await udi.state.browser.get("/organisation")
    assert answer.status_code == 303 and answer.headers["location"] == "/"


async def test_accounts_that_existed_before_are_not_asked(udi):
    """A demo account logged in locally, and one bound with 已有用户的登录授权 logging in through
    the portal, reach the home page; neither has a registration."""
    local = browser_for(udi, udi.state.system.settings.base_url)
    page = await local.get("/local/login")
    done = await local.post("/local/login", data={**hidden_fields(page.text), "username": "udi_demo",
                                                  "password": DEMO_LOCAL_PASSWORD, "captcha": "TEST"})
    assert done.status_code == 303
    home = await local.get("/")
    assert home.status_code == 200 and "欢迎，王五" in home.text
    assert (await local.get("/organisation")).headers["location"] == "/"

    fake = udi.state.fake
    assert (await bind_existing(udi, fake.intent("existing", sub="existing-sub", claims=LEGAL_CLAIMS),
                                "udi_demo2")).status_code == 303
    portal = browser_for(udi, udi.state.system.settings.base_url)
    await portal_login(udi, portal, "existing-sub", LEGAL_CLAIMS)
    home = await portal.get("/")
    assert home.status_code == 200 and "欢迎，赵六" in home.text
    assert (await portal.get("/account/settings")).status_code == 200
    assert await registrations(udi) == 0
