"""The drug system's own first steps (seed 002 section 2.2): sent in by the portal, the user is
asked 是否登录【药品业务应用系统】 (确定/取消), then offered the CA login or 跳过，普通用户登录;
on the enterprise's first entry to 信息采集, 补充企业信息 comes before any business."""
from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from mock_systems.drug.models import EnterpriseInfo
from tests.mock_systems.drug.conftest import AGENT, ENTERPRISE, LEGAL, post_form

DOSSIERS = "/collection/export-dossiers"
FORM = {"address": "北京市西城区示例路1号", "contact_name": "李四", "contact_phone": "010-12345678"}


def link(html: str, element_id: str) -> str:
    return html.split(f'id="{element_id}" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


async def test_from_the_portal_确定_then_跳过_普通用户登录_leads_to_the_portal_login(drug):
    issuer = drug.system.settings.issuer
    target = drug.system.settings.base_url + "/collection"
    async with drug.browser() as browser:
        confirm = await browser.get("/auth/login", params={"iss": issuer, "target_link_uri": target})
        assert confirm.status_code == 200 and "是否登录【药品业务应用系统】" in confirm.text
        assert ">确定</a>" in confirm.text and ">取消</a>" in confirm.text
        assert link(confirm.text, "entry-cancel") == issuer + "/space/bindings"
        ca = await browser.get(link(confirm.text, "entry-confirm"))
        assert ca.status_code == 200 and "CA用户单点登录业务系统" in ca.text and ">跳过，普通用户登录</a>" in ca.text
        onwards = await browser.get(link(ca.text, "ca-skip"))
        assert onwards.status_code == 303 and onwards.headers["location"].startswith(issuer + "/authorize?")
        sent = parse_qs(urlsplit(onwards.headers["location"]).query)
        assert sent["client_id"] == ["drug"]


async def test_a_login_started_in_the_system_itself_asks_nothing(drug):
    async with drug.browser() as browser:
        response = await browser.get("/auth/login")
        assert response.status_code == 303 and "/authorize?" in response.headers["location"]


async def test_信息采集_asks_for_the_enterprise_info_first_and_then_opens(drug):
    legal = await drug.log_in(LEGAL, enterprise_info=False)
    for path in ("/collection", DOSSIERS, DOSSIERS + "/new", "/collection/sub-users"):
        response = await legal.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/collection/enterprise", path
    form = await legal.get("/collection/enterprise")
    assert "需补充企业信息后方可办理具体业务" in form.text and ENTERPRISE["name"] in form.text
    missing = await post_form(legal, "/collection/enterprise", "enterprise-form", **{**FORM, "contact_name": " "})
    assert missing.status_code == 400 and "请填写联系人。" in missing.text
    assert 'value="北京市西城区示例路1号"' in missing.text  # what was typed is kept
    bad = await post_form(legal, "/collection/enterprise", "enterprise-form", **{**FORM, "contact_phone": "abc"})
    assert bad.status_code == 400 and "联系电话格式不正确" in bad.text
    done = await post_form(legal, "/collection/enterprise", "enterprise-form", **FORM)
    assert done.status_code == 303
    page = await legal.get(done.headers["location"])
    assert "企业信息已补充，现在可以办理信息采集类业务。" in page.text and "采集内容" in page.text
    assert (await legal.get(DOSSIERS)).status_code == 200
    assert (await legal.get("/collection/enterprise")).headers["location"] == "/collection"
    # The enterprise's agent finds it supplied: 信息采集 opens for it too.
    agent = await drug.log_in(AGENT, enterprise_info=False)
    assert (await agent.get("/collection")).status_code == 200


async def test_a_form_without_the_session_token_is_refused(drug):
    legal = await drug.log_in(LEGAL, enterprise_info=False)
    refused = await legal.post("/collection/enterprise", data={**FORM, "csrf_token": "forged"})
    assert refused.status_code == 403
    async with drug.system.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(EnterpriseInfo)) == 0


@pytest.mark.parametrize("people", [2, 5])
async def test_concurrent_submissions_keep_exactly_one(drug, people):
    browsers = [await drug.log_in(LEGAL, enterprise_info=False) for _ in range(people)]
    pages = [await b.get("/collection/enterprise") for b in browsers]
    tokens = [p.text.split('name="csrf_token" value="')[1].split('"')[0] for p in pages]
    answers = await asyncio.gather(*(b.post("/collection/enterprise", data={**FORM, "csrf_token": t,
                                                                            "contact_name": f"联系人{n}"})
                                     for n, (b, t) in enumerate(zip(browsers, tokens, strict=True))))
    outcomes = sorted(a.headers["location"] for a in answers)
    assert outcomes == ["/collection?supplied=0"] * (people - 1) + ["/collection?supplied=1"]
    async with drug.system.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(EnterpriseInfo)) == 1
