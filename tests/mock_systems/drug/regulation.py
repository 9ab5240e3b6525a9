"""Regulators of the drug system for its tests: an account opened by a province's administrator,
bound from the (fake) supervision portal by 已有用户的登录授权, and logged in through it; and
submitted dossiers of enterprises in several divisions."""
from __future__ import annotations

import httpx

from mock_systems.common.profile import DEMO_LOCAL_PASSWORD
from mock_systems.drug.access import Actor
from mock_systems.drug.dossier_transitions import change_dossier, create_draft, submit_dossier
from mock_systems.drug.regulator_models import DrugAdmin
from mock_systems.drug.regulators import open_regulator
from tests.mock_systems.drug.conftest import LEGAL, DrugSystem
from tests.support.fake_portal import CAPTCHA
from tests.support.portal import hidden_fields

HANGZHOU, NINGBO, BEIJING = "91330106MA2A00001X", "91330203MA2B00002Y", "91110105PDY0001752"
VALUES = {"generic_name": "阿莫西林胶囊", "english_name": "", "dosage_form": "胶囊剂", "strength": "0.25g",
          "approval_number": "国药准字H20000001", "holder": "", "manufacturer": "示例药业股份有限公司",
          "manufacturing_address": "", "destination": "越南", "package_spec": "24粒/盒", "remarks": ""}
PASSWORD = DEMO_LOCAL_PASSWORD


def official(name: str, jurisdiction: str) -> dict:
    """What the supervision portal's UserInfo says of an official (docs/claims.md)."""
    return {"name": name, "account_type": "official", "unit": "药品监督管理局", "jurisdiction": jurisdiction}


async def dossier(drug: DrugSystem, code: str, generic_name: str, *, submit: bool = True, change: str | None = None):
    """A dossier of the enterprise ``code``: a draft, submitted, and changed (变更) with ``change``."""
    account = await drug.bind(LEGAL)
    actor = Actor(account_id=account.id, account_type="legal_person", enterprise_code=code, enterprise_name="",
                  name="李四", csrf_token="unused")
    async with drug.system.sessionmaker.begin() as db:
        made = await create_draft(db, actor, {**VALUES, "generic_name": generic_name})
        if submit:
            made = await submit_dossier(db, actor, made.id, made.revision)
        if change:
            made = await change_dossier(db, actor, made.id, made.revision, {**VALUES, "generic_name": generic_name,
                                                                           "destination": change}, "出口国变更")
    return made


async def open_account(drug: DrugSystem, username: str, jurisdiction: str | None, province: str = "330000"):
    admin = DrugAdmin(username="admin", display_name="省局管理员", province=province)
    return await open_regulator(drug.system, admin, username=username, name="监管员" + username[-1],
                                unit="药品监督管理局", password=PASSWORD, jurisdiction=jurisdiction)


async def supervision_bind(drug: DrugSystem, browser: httpx.AsyncClient, sub: str, username: str, *,
                           mode: str = "existing", claims: dict | None = None) -> httpx.Response:
    """授权绑定 started at the supervision portal for ``sub``: the subject check through it, then
    (mode existing) the system's login form under /supervision submitted."""
    fake = drug.supervision
    binding_id = fake.intent(mode, sub=sub, claims=claims or official("监管员", "330000"))
    to_portal = await browser.get(f"/supervision/binding/start?binding={binding_id}")
    assert to_portal.status_code == 303 and to_portal.headers["location"].startswith(fake.issuer), to_portal.text
    callback = await browser.get(fake.answer_authorization(to_portal.headers["location"], sub=sub))
    assert callback.headers.get("location", "").startswith("/supervision/binding/start"), callback.text[:300]
    page = await browser.get(callback.headers["location"])
    if mode != "existing" or 'action="/supervision/binding/start"' not in page.text:
        return page
    return await browser.post("/supervision/binding/start", data={
        **hidden_fields(page.text), "username": username, "password": PASSWORD, "captcha": CAPTCHA})


async def supervision_login(drug: DrugSystem, browser: httpx.AsyncClient, sub: str, claims: dict,
                            target: str = "/regulation/dossiers") -> httpx.Response:
    """A login through the supervision portal as ``sub``: the callback's answer."""
    fake = drug.supervision
    fake.userinfo[sub] = claims
    to_portal = await browser.get("/supervision/auth/login",
                                  params={"target_link_uri": drug.system.settings.base_url + target})
    assert to_portal.status_code == 303 and to_portal.headers["location"].startswith(fake.issuer), to_portal.text
    return await browser.get(fake.answer_authorization(to_portal.headers["location"], sub=sub))


async def regulator(drug: DrugSystem, username: str, jurisdiction: str | None, *, sub: str | None = None,
                    province: str = "330000") -> httpx.AsyncClient:
    """A browser of a regulator: opened, bound from the supervision portal, logged in through it."""
    await open_account(drug, username, jurisdiction, province)
    browser = drug.browser()
    sub = sub or f"sup-{username}"
    bound = await supervision_bind(drug, browser, sub, username)
    assert bound.status_code == 303 and bound.headers["location"].startswith(drug.supervision.issuer), bound.text
    landed = await supervision_login(drug, browser, sub, official("监管员", jurisdiction or ""))
    assert landed.status_code == 303 and landed.headers["location"] == "/regulation/dossiers", landed.text[:300]
    return browser
