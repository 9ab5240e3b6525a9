"""账号设置 → 个人信息 (PIPL Art. 45): the page shows what the portal holds about the signed-in
account with ID number and mobile masked; the JSON download has everything in full, only after
the current password (a wrong one counts toward the lockout), and only the account's own data."""
from __future__ import annotations

import json
import re
from html import unescape

from idp.oidc.scopes import SCOPE_CLAIMS
from shared.messages import text
from tests.support.agents import add_enterprise, add_person, authorize_agent
from tests.support.bindings import bound_on_portal
from tests.support.consultations import file_question
from tests.support.portal import PASSWORD, Browser
from tests.support.signin import audit_events
from tests.support.space import alert, fresh, signed_in
from tests.support.tokens import code_flow

PAGE = "/space/settings/personal-data"
DOWNLOAD = PAGE + "/download"
ID_NUMBER, MOBILE = "110000198506120133", "13800138000"


async def download(browser: Browser, password: str = PASSWORD):
    page = await browser.go(PAGE)
    return await browser.submit(page, DOWNLOAD, current_password=password)


async def test_the_page_shows_the_account_masked_and_the_download_has_it_in_full(put):
    browser = Browser(put)
    await code_flow(put, browser, put.rp, scope="openid profile phone id_number")  # a login, a consent, a grant
    page = await browser.go(PAGE)
    assert page.status_code == 200
    shown = unescape(page.text)
    assert "1100**********0133" in shown and "138****8000" in shown
    assert ID_NUMBER not in shown and MOBILE not in shown
    assert "phone_number" in shown and "登录成功" in shown

    response = await download(browser)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert re.fullmatch(r'attachment; filename="personal-data-zhangsan-\d{8}\.json"',
                        response.headers["content-disposition"])
    data = response.json()
    assert data["账号信息"]["证件号码"] == ID_NUMBER and data["账号信息"]["手机号"] == MOBILE
    assert data["账号信息"]["用户名"] == "zhangsan" and data["账号信息"]["实名等级"] == "二级"
    [release] = data["业务系统获取的信息"]
    assert release["已同意的授权"] == ["id_number", "phone", "profile"]
    assert set(release["已签发令牌的授权"]) == {"openid", "profile", "phone", "id_number"}
    expected = {c for s in ("openid", "profile", "phone", "id_number") for c in SCOPE_CLAIMS[s]}
    assert set(release["提供的信息项"]) == expected
    assert [(row["事件"], row["结果"]) for row in data["最近登录记录"]] == [("登录成功", "成功")]
    assert len(data["登录设备"]) == 1
    [event] = await audit_events(put, "account.personal_data_exported")
    assert event.subject == put.account.subject and ID_NUMBER not in json.dumps(event.details)


async def test_bindings_consultations_and_messages_are_in_the_download(put):
    await put.add_client("udi")
    await bound_on_portal(put, put.account, "udi", kind="created", local_account="udi_local_7")
    await file_question(put, account_id=put.account.id, title="绑定问题")
    browser = await signed_in(put, put.account)
    data = (await download(browser)).json()
    [binding] = data["我的绑定"]
    assert (binding["状态"], binding["绑定方式"], binding["业务系统账号"]) == \
        ("已绑定", "直接授权创建的新账号", "udi_local_7")
    assert [row["标题"] for row in data["咨询"]] == ["绑定问题"]
    page = unescape((await browser.go(PAGE)).text)
    assert "udi_local_7" in page and "绑定问题" in page


async def test_a_legal_person_sees_its_enterprise_and_agents_an_agent_its_enterprises(put):
    enterprise = await add_enterprise(put, "acme_corp", "某某医疗器械有限公司", 1)
    person = await add_person(put, "lisi", "李四", 2)
    await authorize_agent(put, enterprise, person)
    data = (await download(await signed_in(put, enterprise))).json()
    assert data["企业信息"]["企业名称"] == "某某医疗器械有限公司"
    assert data["企业信息"]["法定代表人证件号码"] == enterprise.id_number
    assert [(row["姓名"], row["用户名"]) for row in data["经办人授权"]["经办人"]] == [("李四", "lisi")]
    assert person.id_number not in json.dumps(data, ensure_ascii=False)  # the agent's own data is the agent's
    data = (await download(await signed_in(put, person))).json()
    assert data["企业信息"] is None
    assert [row["企业名称"] for row in data["经办人授权"]["代办企业"]] == ["某某医疗器械有限公司"]


async def test_no_download_without_the_right_password_and_a_wrong_one_counts(put):
    browser = await signed_in(put, put.account)
    response = await download(browser, "")
    assert response.status_code == 200  # the form again, with the message
    assert unescape(alert(response.text)) == text("settings.current_password_required")
    response = await download(browser, "Guess#2026pass")
    assert response.status_code == 200  # the form again, with the message
    assert unescape(alert(response.text)) == text("settings.current_password_wrong")
    assert ID_NUMBER not in response.text
    assert (await fresh(put, put.account.id)).failed_logins == 1
    [event] = await audit_events(put, "account.personal_data_export_failed")
    assert event.outcome == "failure"
    assert await audit_events(put, "account.personal_data_exported") == []


async def test_the_download_needs_a_session_and_the_csrf_token(put):
    anonymous = Browser(put)
    response = await anonymous.client.get(PAGE)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    browser = await signed_in(put, put.account)
    response = await browser.client.post(DOWNLOAD, data={"current_password": PASSWORD})
    assert response.status_code in (400, 403)
    assert ID_NUMBER not in response.text


async def test_single_claims_asked_for_with_the_claims_parameter_are_listed(put):
    """OIDC Core §5.5: a system may ask for one claim (here the mobile) without its scope."""
    browser = Browser(put)
    await code_flow(put, browser, put.rp, scope="openid", claims={"userinfo": {"phone_number": None}})
    [release] = (await download(browser)).json()["业务系统获取的信息"]
    assert release["已签发令牌的授权"] == ["openid"]
    assert set(release["提供的信息项"]) == {"sub", "phone_number"}
