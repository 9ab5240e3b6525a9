"""Regulators in the drug system (mock_systems/drug/regulator_routes.py, supervision.py): the
drug system trusts two providers, and a regulator — opened by its province's administrator,
bound from the supervision portal, logged in through it — reads the submitted export dossiers
of its jurisdiction only (a province covers its cities, a city only itself), never writes, and
needs the 查阅权限. Enterprise logins never open the regulator pages, supervision logins never
the enterprise pages, and a subject, state or token of one provider never counts at the other."""
from __future__ import annotations

import asyncio
import re
import time

from jose import jwt
from sqlalchemy import func, select

from mock_systems.drug.models import DossierEvent, ExportDossier, ExportDossierVersion
from mock_systems.drug.regulator_models import RegulatorAccount
from mock_systems.drug.regulators import set_permission
from shared.refusals import Refusal
from tests.mock_systems.drug.conftest import LEGAL
from tests.mock_systems.drug.regulation import (
    BEIJING,
    HANGZHOU,
    NINGBO,
    PASSWORD,
    dossier,
    official,
    open_account,
    regulator,
    supervision_bind,
    supervision_login,
)
from tests.support.fake_portal import bind_existing, portal_login
from tests.support.portal import hidden_fields
from tests.support.system_apps import staff_signed_in

ROW = re.compile(r'<tr id="dossier-(\d+)">')


def listed(page) -> set[int]:
    assert page.status_code == 200, page.text[:300]
    return {int(n) for n in ROW.findall(page.text)}


async def three_enterprises(drug) -> dict[str, int]:
    return {"hangzhou": (await dossier(drug, HANGZHOU, "杭州胶囊")).id,
            "ningbo": (await dossier(drug, NINGBO, "宁波片")).id,
            "beijing": (await dossier(drug, BEIJING, "北京颗粒")).id,
            "draft": (await dossier(drug, HANGZHOU, "杭州草稿", submit=False)).id}


async def test_a_province_regulator_sees_its_provinces_submitted_dossiers_only(drug):
    ids = await three_enterprises(drug)
    browser = await regulator(drug, "zj_reader", "330000")
    assert listed(await browser.get("/regulation/dossiers")) == {ids["hangzhou"], ids["ningbo"]}
    assert (await browser.get(f"/regulation/dossiers/{ids['hangzhou']}")).status_code == 200
    for outside in (ids["beijing"], ids["draft"]):
        assert (await browser.get(f"/regulation/dossiers/{outside}")).status_code == 404


async def test_a_city_regulator_sees_its_city_only(drug):
    ids = await three_enterprises(drug)
    browser = await regulator(drug, "hz_reader", "330100")
    assert listed(await browser.get("/regulation/dossiers")) == {ids["hangzhou"]}
    assert (await browser.get(f"/regulation/dossiers/{ids['ningbo']}")).status_code == 404


async def test_search_by_enterprise_status_and_date(drug):
    ids = await three_enterprises(drug)
    changed = (await dossier(drug, NINGBO, "宁波注射液", change="泰国")).id
    browser = await regulator(drug, "zj_search", "330000")
    assert listed(await browser.get("/regulation/dossiers", params={"enterprise": "913302"})) \
        == {ids["ningbo"], changed}
    assert listed(await browser.get("/regulation/dossiers", params={"status": "changed"})) == {changed}
    assert ids["hangzhou"] in listed(await browser.get("/regulation/dossiers", params={"status": "submitted"}))
    assert listed(await browser.get("/regulation/dossiers", params={"to": "2000-01-01"})) == set()
    assert len(listed(await browser.get("/regulation/dossiers", params={"from": "2000-01-01"}))) == 3


async def test_a_dossiers_versions_and_history(drug):
    changed = await dossier(drug, HANGZHOU, "杭州胶囊", change="泰国")
    browser = await regulator(drug, "zj_history", "330000")
    page = await browser.get(f"/regulation/dossiers/{changed.id}")
    assert 'id="version-1"' in page.text and 'id="version-2"' in page.text
    assert "提交" in page.text and "变更" in page.text and "泰国" in page.text
    first = await browser.get(f"/regulation/dossiers/{changed.id}", params={"version": 1})
    assert "历史版本" in first.text and "越南" in first.text


async def counts(drug) -> tuple:
    async with drug.system.sessionmaker() as db:
        return tuple([await db.scalar(select(func.count()).select_from(table))
                      for table in (ExportDossier, ExportDossierVersion, DossierEvent)])


async def test_a_regulator_writes_nothing(drug):
    target = (await dossier(drug, HANGZHOU, "杭州胶囊")).id
    draft = (await dossier(drug, HANGZHOU, "杭州草稿", submit=False)).id
    browser = await regulator(drug, "zj_writer", "330000")
    before = await counts(drug)
    page = await browser.get("/regulation/dossiers")
    token = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    form = {"csrf_token": token.group(1) if token else "", "revision": "1", "generic_name": "改", "change_reason": "x"}
    writes = ["/collection/export-dossiers/new", f"/collection/export-dossiers/{draft}/edit",
              f"/collection/export-dossiers/{draft}/submit", f"/collection/export-dossiers/{draft}/delete",
              f"/collection/export-dossiers/{target}/change", "/collection/sub-users", "/collection/enterprise",
              "/regulation/dossiers", f"/regulation/dossiers/{target}"]
    for path in writes:
        answer = await browser.post(path, data=form)
        assert answer.status_code in (403, 405), (path, answer.status_code)
    assert await counts(drug) == before


async def test_a_regulator_without_the_permission_is_refused_until_granted(drug):
    await dossier(drug, HANGZHOU, "杭州胶囊")
    browser = await regulator(drug, "zj_nogrant", None)
    refused = await browser.get("/regulation/dossiers")
    assert refused.status_code == 403 and "没有出口药品档案信息采集模块查阅权限" in refused.text
    account = await drug.account("zj_nogrant")
    admin = type("Admin", (), {"province": "330000", "display_name": "x"})()
    assert await set_permission(drug.system, admin, account.id, "330100")
    assert (await browser.get("/regulation/dossiers")).status_code == 200
    assert await set_permission(drug.system, admin, account.id, "")
    assert (await browser.get("/regulation/dossiers")).status_code == 403


async def test_an_enterprise_login_never_opens_the_regulator_pages(drug):
    await dossier(drug, HANGZHOU, "杭州胶囊")
    enterprise = await drug.log_in(LEGAL)
    refused = await enterprise.get("/regulation/dossiers")
    assert refused.status_code == 403 and "仅供监管用户使用" in refused.text


async def test_a_supervision_login_never_opens_the_enterprise_pages(drug):
    browser = await regulator(drug, "zj_entry", "330000")
    for path in ("/collection", "/collection/export-dossiers", "/collection/sub-users"):
        answer = await browser.get(path)
        assert answer.status_code == 403 and "信息采集仅供企业账号使用" in answer.text, path


async def test_a_subject_of_one_provider_never_logs_in_a_user_of_the_other(drug):
    await drug.bind(LEGAL)  # linked at the enterprises' portal as LEGAL.sub
    at_supervision = await supervision_login(drug, drug.browser(), LEGAL.sub, official("冒名", "330000"))
    assert at_supervision.status_code == 403 and "/regulation" not in at_supervision.headers.get("location", "")
    await regulator(drug, "zj_twin", "330000", sub="same-sub")
    at_portal = await portal_login(drug.app, drug.browser(), "same-sub", LEGAL.claims)
    assert at_portal.status_code == 403  # the enterprises' portal's "same-sub" is nobody here


async def test_a_token_of_the_wrong_audience_or_issuer_is_refused(drug):
    """The supervision portal's ID token naming the enterprise client as audience, or the
    enterprises' portal as issuer, logs nobody in: each issuer's tokens are checked against its
    own registration."""
    await regulator(drug, "zj_aud", "330000", sub="sup-aud")
    fake = drug.supervision
    for claims in ({"aud": "drug"}, {"iss": drug.fake.issuer}):
        def forged(sub: str, nonce: str, claims=claims) -> str:
            now = int(time.time())
            body = {"iss": fake.issuer, "aud": fake.client_id, "sub": sub, "nonce": nonce, "iat": now,
                    "exp": now + 300, **claims}
            return jwt.encode(body, fake.key.pem.decode(), algorithm=fake.key.algorithm,
                              headers={"kid": fake.key.kid})
        fake.id_token = forged  # the fake signs what the test says
        answer = await supervision_login(drug, drug.browser(), "sup-aud", official("x", "330000"))
        assert answer.status_code == 401 and "location" not in answer.headers, claims


async def test_a_login_sent_to_one_provider_is_not_taken_at_the_others_callback(drug):
    await regulator(drug, "zj_state", "330000", sub="sup-state")
    browser = drug.browser()
    to_portal = await browser.get("/supervision/auth/login")
    callback = drug.supervision.answer_authorization(to_portal.headers["location"], sub="sup-state")
    wrong_door = await browser.get(callback.replace("/supervision/auth/callback", "/auth/callback"))
    assert wrong_door.status_code == 400


async def test_regulators_bind_existing_accounts_only_and_only_from_the_supervision_portal(drug):
    await open_account(drug, "zj_bindonly", "330000")
    created = await supervision_bind(drug, drug.browser(), "sup-new", "", mode="create")
    assert created.status_code == 403 and "只能绑定省局管理员已开通的账号" in created.text
    enterprise_account = await supervision_bind(drug, drug.browser(), "sup-x", "drug_demo")
    assert enterprise_account.status_code == 400 and "不是监管用户账号" in enterprise_account.text
    drug.app.state.browser = drug.browser()
    binding_id = drug.fake.intent("existing", sub="portal-y", claims=LEGAL.claims)
    at_portal = await bind_existing(drug.app, binding_id, "zj_bindonly")
    assert at_portal.status_code == 400 and "只能从综合监管门户绑定" in at_portal.text


async def test_the_administrator_opens_accounts_within_its_province(drug):
    admin = await staff_signed_in(drug.app, "drug_admin", PASSWORD, lands_on="/staff/regulators")
    page = await admin.get("/staff/regulators")
    form = {**hidden_fields(page.text), "username": "bj_reader", "name": "钱监管", "unit": "北京市药品监督管理局",
            "password": "Reader@2026pass", "grant": "1"}
    outside = await admin.post("/staff/regulators", data={**form, "jurisdiction": "330000"})
    assert outside.status_code == 400 and "本省（110000）" in outside.text
    missing = await admin.post("/staff/regulators", data={**form, "jurisdiction": ""})
    assert missing.status_code == 400 and "本省（110000）" in missing.text
    assert await drug.account("bj_reader") is None
    opened = await admin.post("/staff/regulators", data={**form, "jurisdiction": "110100"})
    assert opened.status_code == 303
    listing = await admin.get(opened.headers["location"])
    assert 'id="regulator-bj_reader"' in listing.text and "已授权（行政区划 110100）" in listing.text
    again = await admin.post("/staff/regulators", data={**form, "jurisdiction": "110100"})
    assert again.status_code == 400 and "已被使用" in again.text
    forged = await admin.post("/staff/regulators", data={**form, "username": "bj_other", "csrf_token": "x"})
    assert forged.status_code == 403 and await drug.account("bj_other") is None
    assert (await drug.browser().get("/staff/regulators")).headers["location"] == "/staff/login"


async def test_two_administrators_opening_one_username_at_once_open_it_once(drug):
    outcomes = await asyncio.gather(*(open_account(drug, "zj_twice", "330000") for _ in range(2)),
                                    return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, Refusal)]
    assert len(refused) == 1 and refused[0].message_id == "drug.regulators.username_taken"
    async with drug.system.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(RegulatorAccount)) == 1


def logout_token(fake, sub: str) -> str:
    """A back-channel logout token of ``fake`` for every session of ``sub`` (OIDC Back-Channel Logout §2.4)."""
    now = int(time.time())
    claims = {"iss": fake.issuer, "aud": fake.client_id, "sub": sub, "iat": now, "exp": now + 120,
              "jti": f"jti-{now}-{sub}", "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}
    return jwt.encode(claims, fake.key.pem.decode(), algorithm=fake.key.algorithm,
                      headers={"kid": fake.key.kid, "typ": "logout+jwt"})


async def test_the_supervision_portals_logout_ends_its_sessions_only_at_its_own_endpoint(drug):
    browser = await regulator(drug, "zj_logout", "330000", sub="sup-logout")
    enterprise = await drug.log_in(LEGAL)
    token = logout_token(drug.supervision, "sup-logout")
    wrong_door = await drug.browser().post("/auth/backchannel-logout", data={"logout_token": token})
    assert wrong_door.status_code == 400  # the enterprises' portal's endpoint: another issuer's token
    assert (await browser.get("/regulation/dossiers")).status_code == 200
    ended = await drug.browser().post("/supervision/auth/backchannel-logout", data={"logout_token": token})
    assert ended.status_code == 200
    assert (await browser.get("/regulation/dossiers")).headers["location"] == "/"
    assert (await enterprise.get("/collection")).status_code == 200  # the other provider's session lives on
