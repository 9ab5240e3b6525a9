"""执业药师注册申请 (首次注册) after binding: the own qualification record, the form (执业单位,
执业类别, 执业范围), 提交 → 待审核; the administrator's 审核通过 → 已注册 or 退回 with a reason,
after which the pharmacist corrects and submits again. Each change is a conditional UPDATE (or an
INSERT on the unique account): of two at once exactly one wins."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.pharmacist.models import Application
from shared.messages import text
from tests.mock_systems.pharmacist.conftest import WANG_FANG, admin_browser, person, pharmacist_browser
from tests.support.fake_portal import CAPTCHA, browser_for
from tests.support.portal import hidden_fields

DETAILS = {"employer": "示例大药房连锁有限公司", "practice_category": "药学", "practice_scope": "药品经营"}


async def submit(browser, **changes):
    page = await browser.get("/")  # the session's CSRF secret (the form is not shown once submitted)
    return await browser.post("/registration", data={"csrf_token": hidden_fields(page.text)["csrf_token"],
                                                     **DETAILS, **changes})


async def decide(admin, decision: str, **fields):
    page = await admin.get("/staff/applications")
    application_id = page.text.split('id="application-')[1].split('"')[0]
    revision = page.text.split('name="revision" value="')[1].split('"')[0]
    return await admin.post(f"/staff/applications/{application_id}/{decision}",
                            data={"csrf_token": hidden_fields(page.text)["csrf_token"], "revision": revision, **fields})


async def test_the_record_the_form_and_待审核(pharmacist):
    browser = await pharmacist_browser(pharmacist, "sub-wang", person(WANG_FANG))
    page = await browser.get("/registration")
    assert page.status_code == 200
    for shown in ("王芳", "31000019920229024X", "ZYYS2019310002", "药学", "2019"):
        assert shown in page.text.split('id="qualification"')[1].split("</table>")[0]
    refused = await submit(browser, employer="", practice_scope="药品批发")
    assert refused.status_code == 400
    assert text("pharmacist.field_required", field="执业单位") in refused.text
    assert text("pharmacist.field_choice", field="执业范围") in refused.text
    done = await submit(browser)
    assert done.status_code == 303 and done.headers["location"] == "/registration?submitted=1"
    page = await browser.get(done.headers["location"])
    assert 'data-state="pending">待审核' in page.text and text("pharmacist.application_submitted") in page.text
    assert 'id="application-form"' not in page.text
    again = await submit(browser)  # no changes while 待审核
    assert again.status_code == 409 and text("pharmacist.application_pending") in again.text
    await browser.aclose()


async def test_已注册_and_退回_then_resubmitted(pharmacist):
    browser = await pharmacist_browser(pharmacist, "sub-wang", person(WANG_FANG))
    await submit(browser)
    admin = await admin_browser(pharmacist)
    no_reason = await decide(admin, "return", reason=" ")
    assert no_reason.status_code == 400 and text("pharmacist.reason_required") in no_reason.text
    returned = await decide(admin, "return", reason="执业单位名称与营业执照不一致")
    assert returned.status_code == 303
    page = await browser.get("/registration")
    assert 'data-state="returned">退回' in page.text and "执业单位名称与营业执照不一致" in page.text
    assert (await submit(browser, employer="示例大药房连锁有限公司第一分店")).status_code == 303
    assert (await decide(admin, "approve")).status_code == 303
    page = await browser.get("/registration")
    assert 'data-state="registered">已注册' in page.text and "第一分店" in page.text
    again = await submit(browser)
    assert again.status_code == 409 and text("pharmacist.application_registered") in again.text
    await browser.aclose()
    await admin.aclose()


async def test_two_first_submissions_at_once_make_one_application(pharmacist):
    first = await pharmacist_browser(pharmacist, "sub-wang", person(WANG_FANG))
    second = browser_for(pharmacist, pharmacist.state.system.settings.base_url)
    second.cookies = first.cookies  # the same person in two tabs
    pages = [await first.get("/registration") for _ in range(2)]
    answers = await asyncio.gather(*(b.post("/registration", data={"csrf_token": hidden_fields(p.text)["csrf_token"],
                                                                   **DETAILS})
                                     for b, p in zip((first, second), pages, strict=True)))
    assert sorted(a.status_code for a in answers) == [303, 409]
    async with pharmacist.state.system.sessionmaker() as db:
        assert await db.scalar(select(func.count(Application.id))) == 1
    await first.aclose()
    await second.aclose()


async def test_two_decisions_at_once_one_wins(pharmacist):
    browser = await pharmacist_browser(pharmacist, "sub-wang", person(WANG_FANG))
    await submit(browser)
    admins = [await admin_browser(pharmacist) for _ in range(2)]
    page = await admins[0].get("/staff/applications")
    application_id = page.text.split('id="application-')[1].split('"')[0]
    pages = [await admin.get("/staff/applications") for admin in admins]
    answers = await asyncio.gather(
        admins[0].post(f"/staff/applications/{application_id}/approve",
                       data={"csrf_token": hidden_fields(pages[0].text)["csrf_token"], "revision": "1"}),
        admins[1].post(f"/staff/applications/{application_id}/return",
                       data={"csrf_token": hidden_fields(pages[1].text)["csrf_token"], "revision": "1",
                             "reason": "材料不全"}))
    assert sorted(a.status_code for a in answers) == [303, 409]
    loser = next(a for a in answers if a.status_code == 409)
    assert text("pharmacist.application_stale") in loser.text
    await browser.aclose()
    for admin in admins:
        await admin.aclose()


async def test_the_module_needs_a_login(pharmacist):
    browser = browser_for(pharmacist, pharmacist.state.system.settings.base_url)
    answer = await browser.get("/registration")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    await browser.aclose()


async def test_an_older_account_logging_in_locally_uses_the_module(pharmacist):
    """The system's own accounts (before the portal) pass the access gate: only portal logins carry claims."""
    browser = browser_for(pharmacist, pharmacist.state.system.settings.base_url)
    page = await browser.get("/local/login")
    answer = await browser.post("/local/login", data={**hidden_fields(page.text), "username": "pharmacist_demo",
                                                      "password": DEMO_LOCAL_PASSWORD, "captcha": CAPTCHA})
    assert answer.status_code == 303, answer.text[:300]
    page = await browser.get("/registration")
    assert page.status_code == 200 and "陈明" in page.text and 'id="application-form"' in page.text
    await browser.aclose()
