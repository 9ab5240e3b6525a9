"""The staff review page (mock_systems/udi/reviews.py, staff_accounts.py): a reviewer's own login is
required (a user's is not enough); approve lets the user in, reject shows the reason and allows
a corrected submission; two reviewers deciding at once on the page: one wins."""
from __future__ import annotations

import asyncio

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.udi.models import RegistrationState
from shared.messages import text
from tests.mock_systems.udi.conftest import (
    created_user,
    notifications,
    registration_of,
    review,
    staff_browser,
    submit_details,
)
from tests.support.fake_portal import CAPTCHA, browser_for
from tests.support.portal import hidden_fields


async def test_the_review_pages_need_a_staff_login(udi):
    user = await created_user(udi)
    await submit_details(user)
    registration = await registration_of(udi, user.account.id)
    for browser in (udi.state.browser, user.browser):  # nobody, and a user logged in through the portal
        page = await browser.get("/staff/reviews")
        assert page.status_code == 303 and page.headers["location"] == "/staff/login"
        decision = await browser.post(f"/staff/reviews/{registration.id}/approve", data={"submission": "1"})
        assert decision.status_code == 303 and decision.headers["location"] == "/staff/login"
    assert (await registration_of(udi, user.account.id)).state is RegistrationState.pending


async def test_a_wrong_staff_password_or_a_user_account_is_refused(udi):
    browser = browser_for(udi, udi.state.system.settings.base_url)
    refusals = ((("udi_staff", "Wrong@2026pass", CAPTCHA), "system.local.wrong_credentials"),
                (("udi_demo", DEMO_LOCAL_PASSWORD, CAPTCHA), "system.local.wrong_credentials"),
                (("", "", CAPTCHA), "system.local.required"),
                (("udi_staff", DEMO_LOCAL_PASSWORD, "WRONG"), "captcha.wrong"))
    for (username, password, captcha), message in refusals:
        page = await browser.get("/staff/login")
        answer = await browser.post("/staff/login", data={**hidden_fields(page.text), "username": username,
                                                          "password": password, "captcha": captcha})
        assert answer.status_code == 400 and text(message) in answer.text, username
    forged = await browser.post("/staff/login", data={"csrf_token": "x", "username": "udi_staff",
                                                      "password": DEMO_LOCAL_PASSWORD})
    assert forged.status_code == 403
    assert (await browser.get("/staff/reviews")).headers["location"] == "/staff/login"


async def test_approve_lets_the_user_in(udi):
    user = await created_user(udi)
    await submit_details(user)
    staff = await staff_browser(udi)
    page = await staff.get("/staff/reviews")
    assert page.status_code == 200 and "示例医疗器械有限公司" in page.text and user.account.username in page.text
    answer = await review(staff, await registration_of(udi, user.account.id), "approve")
    assert answer.status_code == 303
    after = await staff.get(answer.headers["location"])
    assert text("udi.review_approved") in after.text and 'id="no-pending"' in after.text
    home = await user.browser.get("/")
    assert home.status_code == 200 and "欢迎，李四" in home.text
    assert (await user.browser.get("/account/settings")).status_code == 200
    assert (await user.browser.get("/organisation")).headers["location"] == "/"


async def test_reject_needs_a_reason_and_the_user_sees_it_and_may_resubmit(udi):
    user = await created_user(udi)
    await submit_details(user)
    staff = await staff_browser(udi)
    registration = await registration_of(udi, user.account.id)
    no_reason = await review(staff, registration, "reject", reason=" ")
    assert no_reason.status_code == 400 and text("udi.reason_required") in no_reason.text
    assert await notifications(udi) == []
    assert (await review(staff, registration, "reject", reason="机构地址不完整")).status_code == 303
    form = await user.browser.get("/organisation")
    assert 'id="review-rejected"' in form.text and "机构地址不完整" in form.text
    assert 'name="address" value="北京市朝阳区示例路1号"' in form.text  # the last submission, to correct
    assert (await user.browser.get("/")).headers["location"] == "/organisation"
    again = await user.browser.post("/organisation", data={**hidden_fields(form.text), **{
        "organisation_name": "示例医疗器械有限公司", "credit_code": registration.credit_code,
        "address": "北京市朝阳区示例路1号示例大厦3层", "contact_name": "李四", "contact_phone": "13800000000"}})
    assert again.status_code == 303
    resubmitted = await registration_of(udi, user.account.id)
    assert resubmitted.state is RegistrationState.pending and resubmitted.submission == 2
    assert "示例大厦3层" in (await staff.get("/staff/reviews")).text


async def test_two_reviewers_on_the_page_at_once_one_wins(udi):
    user = await created_user(udi)
    await submit_details(user)
    registration = await registration_of(udi, user.account.id)
    first, second = await staff_browser(udi), await staff_browser(udi)
    answers = await asyncio.gather(review(first, registration, "approve"),
                                   review(second, registration, "reject", reason="资料不全"))
    assert sorted(a.status_code for a in answers) == [303, 409]
    loser = next(a for a in answers if a.status_code == 409)
    assert text("udi.already_reviewed") in loser.text
    assert len(await notifications(udi)) == 1


async def test_staff_logout_ends_the_staff_session(udi):
    staff = await staff_browser(udi)
    page = await staff.get("/staff/reviews")
    assert (await staff.post("/staff/logout", data={"csrf_token": hidden_fields(page.text)["csrf_token"]})
            ).status_code == 303
    assert (await staff.get("/staff/reviews")).headers["location"] == "/staff/login"


async def test_a_review_of_an_id_outside_the_column_range_is_not_found(udi):
    user = await created_user(udi)
    await submit_details(user)
    registration = await registration_of(udi, user.account.id)
    staff = await staff_browser(udi)
    token = hidden_fields((await staff.get("/staff/reviews")).text)["csrf_token"]
    for wrong in ("9223372036854775808", "2147483648", "0"):
        response = await staff.post(f"/staff/reviews/{wrong}/approve", data={"csrf_token": token, "submission": "1"})
        assert response.status_code == 404, (wrong, response.status_code)
    for submission in ("9223372036854775808", "2147483648", "-1", "x"):
        response = await staff.post(f"/staff/reviews/{registration.id}/approve",
                                    data={"csrf_token": token, "submission": submission})
        assert response.status_code == 400, (submission, response.status_code)
    assert (await registration_of(udi, user.account.id)).state is RegistrationState.pending
