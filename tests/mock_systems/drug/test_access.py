"""Who may use 信息采集 and 出口药品档案信息采集: the legal person always, an agent only with the
grant (read from the database on every request, so revoking takes effect at once), nobody
without an enterprise; the home page links 信息采集 and only the legal person sees 子用户授权."""
from __future__ import annotations

from sqlalchemy import select

from mock_systems.common import DEMO_LOCAL_PASSWORD
from mock_systems.drug.models import DossierEvent, ExportDossier
from mock_systems.drug.modules import EXPORT_DOSSIER
from shared.messages import text
from tests.mock_systems.drug.conftest import AGENT, ENTERPRISE, LEGAL, grant, legal_person, post_form
from tests.support.fake_portal import CAPTCHA
from tests.support.portal import hidden_fields

DOSSIERS = "/collection/export-dossiers"
REFUSED = "您没有出口药品档案信息采集的操作权限，请联系法人账号在“子用户授权”中授权。"
DRAFT = {"generic_name": "阿莫西林胶囊", "dosage_form": "胶囊剂", "strength": "0.25g",
         "approval_number": "国药准字H20000001", "manufacturer": "示例药业股份有限公司",
         "destination": "越南", "package_spec": "24粒/盒"}


async def a_draft(drug) -> int:
    legal = await drug.log_in(LEGAL)
    created = await post_form(legal, DOSSIERS + "/new", "dossier-form", **DRAFT)
    assert created.status_code == 303, created.text[:500]
    return int(created.headers["location"].split("/")[-1].split("?")[0])


async def test_the_home_page_links_the_collection_and_the_legal_person_sees_sub_user_grants(drug):
    legal = await drug.log_in(LEGAL)
    assert 'href="/collection">信息采集</a>' in (await legal.get("/")).text
    page = await legal.get("/collection")
    assert "采集内容" in page.text and ">出口药品档案信息</a>" in page.text and ">子用户授权</a>" in page.text
    page = await (await drug.log_in(AGENT)).get("/collection")
    assert page.status_code == 200 and ">出口药品档案信息</a>" in page.text and "子用户授权" not in page.text
    assert "（未授权）" in page.text


async def test_an_agent_without_the_grant_is_refused_on_every_page_and_action(drug):
    dossier_id = await a_draft(drug)
    agent = await drug.log_in(AGENT)
    token = hidden_fields((await agent.get("/")).text)["csrf_token"]
    pages = [DOSSIERS, DOSSIERS + "/new", f"{DOSSIERS}/{dossier_id}", f"{DOSSIERS}/{dossier_id}/edit",
             f"{DOSSIERS}/{dossier_id}/change", f"{DOSSIERS}/{dossier_id}?version=1"]
    actions = [DOSSIERS + "/new", *(f"{DOSSIERS}/{dossier_id}/{action}" for action in ("edit", "submit", "delete",
                                                                                       "change"))]
    for path in pages:
        response = await agent.get(path)
        assert response.status_code == 403 and REFUSED in response.text, path
    for path in actions:
        response = await agent.post(path, data={"csrf_token": token, "revision": "1", **DRAFT})
        assert response.status_code == 403 and REFUSED in response.text, path
    assert text("drug.module.not_granted", module="出口药品档案信息采集") == REFUSED
    async with drug.system.sessionmaker() as db:  # the agent changed nothing
        assert (await db.scalars(select(DossierEvent.action))).all() == ["填报"]
        assert (await db.scalars(select(ExportDossier.state))).all() == ["draft"]


async def test_the_grant_lets_the_agent_in_and_revoking_it_shuts_the_next_request_out(drug):
    dossier_id = await a_draft(drug)
    agent = await drug.log_in(AGENT)
    await grant(drug, AGENT, [EXPORT_DOSSIER])
    assert (await agent.get(DOSSIERS)).status_code == 200
    page = await agent.get(f"{DOSSIERS}/{dossier_id}")
    assert page.status_code == 200 and "阿莫西林胶囊" in page.text
    assert "（未授权）" not in (await agent.get("/collection")).text

    await grant(drug, AGENT, [])  # the same browser session, next request
    response = await agent.get(f"{DOSSIERS}/{dossier_id}")
    assert response.status_code == 403 and REFUSED in response.text


async def test_a_grant_from_another_enterprise_does_not_count(drug):
    await drug.log_in(AGENT)
    await grant(drug, AGENT, [EXPORT_DOSSIER])
    # The same account now comes as an agent of another enterprise (its claims say so).
    moved = AGENT.claims | {"enterprise": {**ENTERPRISE, "unified_social_credit_code": "91310000MA1FL0000X"}}
    agent = await drug.log_in(type(AGENT)(AGENT.sub, AGENT.username, moved))
    response = await agent.get(DOSSIERS)
    assert response.status_code == 403 and REFUSED in response.text


async def test_accounts_without_an_enterprise_are_refused(drug):
    personal = legal_person(sub="personal-sub", username="drug_personal")
    personal.claims["account_type"] = "personal"
    browser = await drug.log_in(personal)
    for path in ("/collection", DOSSIERS, "/collection/sub-users"):
        response = await browser.get(path)
        assert response.status_code == 403 and text("drug.collection.enterprise_only") in response.text

    # A local login of a demo account, never seen through the portal.
    local = drug.browser()
    form = hidden_fields((await local.get("/local/login")).text)
    logged = await local.post("/local/login", data={**form, "username": "drug_demo", "password": DEMO_LOCAL_PASSWORD,
                                                    "captcha": CAPTCHA})
    assert logged.status_code == 303
    response = await local.get(DOSSIERS)
    assert response.status_code == 403 and text("drug.collection.enterprise_only") in response.text


async def test_nobody_logged_in_goes_to_the_home_page(drug):
    response = await drug.browser().get(DOSSIERS)
    assert response.status_code == 303 and response.headers["location"] == "/"
