"""The provincial administrator (省局管理员, its own login at /staff/login) upgrades a 15-digit
register number to the verified 18-digit one (seed 004, 七（二）); then the same person binds.
Bad numbers are refused in the portal's words and change nothing; of two administrators at once,
one upgrades."""
from __future__ import annotations

import asyncio

from mock_systems.common import DEMO_LOCAL_PASSWORD
from shared.messages import text
from tests.mock_systems.pharmacist.conftest import ZHOU_JIE, admin_browser, created, person, record_of
from tests.support.fake_portal import CAPTCHA, browser_for
from tests.support.portal import hidden_fields
from tests.support.system_apps import linked_account

NEW = "310000197203151234"


async def upgrade(browser, record_id: int, old: str, new: str):
    page = await browser.get("/staff/register")
    return await browser.post(f"/staff/register/{record_id}/upgrade",
                              data={"csrf_token": hidden_fields(page.text)["csrf_token"], "old": old, "id_number": new})


async def test_the_pages_need_the_administrators_login(pharmacist):
    browser = browser_for(pharmacist, pharmacist.state.system.settings.base_url)
    for path in ("/staff/register", "/staff/applications"):
        answer = await browser.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/staff/login"
    page = await browser.get("/staff/login")
    wrong = await browser.post("/staff/login", data={**hidden_fields(page.text), "username": "pharmacist_admin",
                                                     "password": DEMO_LOCAL_PASSWORD + "x", "captcha": CAPTCHA})
    assert wrong.status_code == 400 and text("system.local.wrong_credentials") in wrong.text
    # A pharmacist's own login (local) is not an administrator's.
    await browser.aclose()


async def test_after_the_upgrade_the_same_person_binds(pharmacist):
    refused = await created(pharmacist, "sub-zhou", person(ZHOU_JIE))
    assert refused.status_code == 403 and text("pharmacist.no_record") in refused.text
    record = await record_of(pharmacist, "周杰")
    admin = await admin_browser(pharmacist)
    page = await admin.get("/staff/register")
    row = page.text.split(f'id="record-{record.id}"')[1].split("</tr>")[0]
    # The form offers the standard conversion, which the administrator corrects after checking.
    assert 'value="310000197203151226"' in row and "升级" in row
    done = await upgrade(admin, record.id, "310000720315122", NEW)
    assert done.status_code == 200 and text("pharmacist.upgrade_done", id_number=NEW) in done.text
    record = await record_of(pharmacist, "周杰")
    assert (record.id_number, record.upgraded_from, record.upgraded_by) == (NEW, "310000720315122", "pharmacist_admin")
    bound = await created(pharmacist, "sub-zhou", person(ZHOU_JIE))
    assert bound.status_code == 303 and (await linked_account(pharmacist, "sub-zhou")).display_name == "周杰"
    await admin.aclose()


async def test_bad_upgrades_are_refused_and_change_nothing(pharmacist):
    record = await record_of(pharmacist, "周杰")
    admin = await admin_browser(pharmacist)
    for new, message in (("310000197203151235", text("id_number.check")),
                         ("310000197303151231", text("pharmacist.upgrade_birth_date")),
                         ("31000019920229024X", text("pharmacist.upgrade_exists"))):  # 王芳's
        answer = await upgrade(admin, record.id, "310000720315122", new)
        assert answer.status_code in (400, 409) and message in answer.text, new
    eighteen = await record_of(pharmacist, "王芳")
    answer = await upgrade(admin, eighteen.id, eighteen.id_number, "31000019920229024X")
    assert answer.status_code == 409 and text("pharmacist.upgrade_not_fifteen") in answer.text
    assert (await record_of(pharmacist, "周杰")).id_number == "310000720315122"
    await admin.aclose()


async def test_two_administrators_upgrading_at_once_one_wins(pharmacist):
    record = await record_of(pharmacist, "周杰")
    admins = [await admin_browser(pharmacist) for _ in range(2)]
    pages = [await admin.get("/staff/register") for admin in admins]
    answers = await asyncio.gather(*(admin.post(
        f"/staff/register/{record.id}/upgrade", data={"csrf_token": hidden_fields(page.text)["csrf_token"],
                                                      "old": "310000720315122", "id_number": NEW})
        for admin, page in zip(admins, pages, strict=True)))
    assert sorted(a.status_code for a in answers) == [200, 409]
    loser = next(a for a in answers if a.status_code == 409)  # told, in whichever order they ran
    assert text("pharmacist.upgrade_stale") in loser.text or text("pharmacist.upgrade_exists") in loser.text
    assert (await record_of(pharmacist, "周杰")).id_number == NEW
    for admin in admins:
        await admin.aclose()
