"""出口药品档案信息 through its pages: 填报 with required fields checked,
修改 of a draft, 提交, 删除 (drafts only: 提交后无法删除), 查看 and 变更 keeping every version;
each refusal says why and changes nothing; every action names who did it; another enterprise's
dossiers are never seen."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from mock_systems.drug.models import DossierEvent, ExportDossier, ExportDossierVersion
from mock_systems.drug.modules import EXPORT_DOSSIER
from shared.messages import text
from tests.mock_systems.drug.conftest import AGENT, LEGAL, OTHER_LEGAL, grant, post_form
from tests.support.portal import hidden_fields

DOSSIERS = "/collection/export-dossiers"
DRAFT = {"generic_name": "阿莫西林胶囊", "english_name": "Amoxicillin Capsules", "dosage_form": "胶囊剂",
         "strength": "0.25g", "approval_number": "国药准字H20000001", "manufacturer": "示例药业股份有限公司",
         "destination": "越南", "package_spec": "24粒/盒"}


def dossier_path(response) -> str:
    assert response.status_code == 303, response.text[:800]
    return response.headers["location"].split("?")[0]


async def create(browser, **changes) -> str:
    return dossier_path(await post_form(browser, DOSSIERS + "/new", "dossier-form", **{**DRAFT, **changes}))


def cell(page, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', page.text)
    assert match, f"no #{element_id}"
    return match.group(1)


def events(page) -> list[tuple[str, str, str]]:
    """(操作, 版本, 操作人) of the 操作记录 table."""
    table = page.text.split('id="events"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", table)


async def count(drug, model) -> int:
    async with drug.system.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(model))


async def test_required_fields_are_checked_with_every_error_named(drug):
    legal = await drug.log_in(LEGAL)
    response = await post_form(legal, DOSSIERS + "/new", "dossier-form", **{**DRAFT, "generic_name": " ",
                                                                            "destination": "",
                                                                            "strength": "x" * 101})
    assert response.status_code == 400
    for message in (text("drug.dossier.required", label="药品通用名称"),
                    text("drug.dossier.required", label="出口国家或地区"),
                    text("drug.dossier.too_long", label="规格", limit=100)):
        assert message in response.text
    assert "请填写药品通用名称。" in response.text
    assert 'value="Amoxicillin Capsules"' in response.text  # what was typed stays in the form
    assert await count(drug, ExportDossier) == 0


async def test_a_draft_is_created_edited_and_submitted_by_whoever_acts(drug):
    legal = await drug.log_in(LEGAL)
    path = await create(legal)
    page = await legal.get(path)
    assert cell(page, "dossier-state") == "草稿" and cell(page, "value-generic_name") == "阿莫西林胶囊"
    assert text("drug.dossier.created") in (await legal.get(path + "?done=created")).text

    agent = await drug.log_in(AGENT)
    await grant(drug, AGENT, [EXPORT_DOSSIER])
    edited = await post_form(agent, path + "/edit", "dossier-form", **{**DRAFT, "package_spec": "12粒/盒"})
    assert dossier_path(edited) == path
    page = await agent.get(path)
    assert cell(page, "value-package_spec") == "12粒/盒" and cell(page, "dossier-version") == "第1版"

    submitted = await post_form(agent, path, "submit-dossier")
    assert submitted.headers["location"] == path + "?done=submitted"
    page = await legal.get(path)
    assert cell(page, "dossier-state") == "已提交"
    assert events(page) == [("填报", "第1版", "李四"), ("修改", "第1版", "王五"), ("提交", "第1版", "王五")]
    assert 'id="delete-dossier"' not in page.text and 'id="change-dossier"' in page.text


async def test_a_submitted_dossier_cannot_be_deleted_edited_or_submitted_again(drug):
    legal = await drug.log_in(LEGAL)
    path = await create(legal)
    page = await legal.get(path)
    stale_form = hidden_fields(page.text.split('action="' + path + '/delete"', 1)[1].split("</form>")[0])
    await post_form(legal, path, "submit-dossier")

    for action, message in (("delete", "drug.dossier.delete_not_draft"), ("submit", "drug.dossier.submit_not_draft"),
                            ("edit", "drug.dossier.edit_not_draft")):
        response = await legal.post(f"{path}/{action}", data={**stale_form, **DRAFT, "strength": "0.5g"})
        assert response.status_code == 409 and text(message) in response.text, action
    assert text("drug.dossier.delete_not_draft") == "该档案已提交，提交后无法删除。"
    response = await legal.get(path + "/edit")
    assert response.status_code == 409 and text("drug.dossier.edit_not_draft") in response.text
    page = await legal.get(path)
    assert cell(page, "dossier-state") == "已提交" and cell(page, "value-strength") == "0.25g"
    assert [e[0] for e in events(page)] == ["填报", "提交"]


async def test_a_draft_is_deleted_and_gone_from_the_list(drug):
    legal = await drug.log_in(LEGAL)
    path = await create(legal)
    assert "阿莫西林胶囊" in (await legal.get(DOSSIERS)).text
    deleted = await post_form(legal, path, "delete-dossier")
    assert deleted.status_code == 303 and deleted.headers["location"] == DOSSIERS + "?done=deleted"
    listing = await legal.get(deleted.headers["location"])
    assert text("drug.dossier.deleted") in listing.text and "阿莫西林胶囊" not in listing.text
    for response in (await legal.get(path), await legal.get(path + "/edit")):
        assert response.status_code == 404 and text("drug.dossier.not_found") in response.text
    async with drug.system.sessionmaker() as db:  # who deleted it stays on record
        assert (await db.scalars(select(DossierEvent.action).order_by(DossierEvent.id))).all() == ["填报", "删除"]


async def test_a_change_makes_a_new_version_and_every_version_stays_viewable(drug):
    legal = await drug.log_in(LEGAL)
    path = await create(legal)
    await post_form(legal, path, "submit-dossier")
    assert text("drug.dossier.change_not_submitted") not in (await legal.get(path + "/change")).text

    response = await post_form(legal, path + "/change", "dossier-form", **DRAFT, change_reason="")
    assert response.status_code == 400 and text("drug.dossier.required", label="变更原因") in response.text
    response = await post_form(legal, path + "/change", "dossier-form", **DRAFT, change_reason="无变化")
    assert response.status_code == 400 and text("drug.dossier.change_unchanged") in response.text
    assert await count(drug, ExportDossierVersion) == 1

    changed = await post_form(legal, path + "/change", "dossier-form", **{**DRAFT, "destination": "泰国"},
                              change_reason="新增出口国家")
    assert changed.headers["location"] == path + "?done=changed"
    second = await post_form(legal, path + "/change", "dossier-form", **{**DRAFT, "destination": "老挝"},
                             change_reason="出口国家调整")
    assert second.status_code == 303
    page = await legal.get(path)
    assert cell(page, "dossier-version") == "第3版" and cell(page, "value-destination") == "老挝"
    assert cell(page, "dossier-state") == "已提交" and cell(page, "value-change_reason") == "出口国家调整"
    assert [e[:2] for e in events(page)] == [("填报", "第1版"), ("提交", "第1版"), ("变更", "第2版"), ("变更", "第3版")]
    first = await legal.get(path + "?version=1")
    assert cell(first, "value-destination") == "越南" and "历史版本" in first.text
    assert 'id="change-dossier"' not in first.text  # actions only on the current version
    assert cell(await legal.get(path + "?version=2"), "value-destination") == "泰国"
    assert (await legal.get(path + "?version=4")).status_code == 404
    assert "第3版" in (await legal.get(DOSSIERS)).text


async def test_a_draft_cannot_be_changed(drug):
    legal = await drug.log_in(LEGAL)
    path = await create(legal)
    token = hidden_fields((await legal.get(path)).text)["csrf_token"]
    response = await legal.post(path + "/change", data={**DRAFT, "destination": "泰国", "change_reason": "x",
                                                        "csrf_token": token, "revision": "1"})
    assert response.status_code == 409 and text("drug.dossier.change_not_submitted") in response.text
    assert (await legal.get(path + "/change")).status_code == 409
    assert await count(drug, ExportDossierVersion) == 1


async def test_an_action_on_a_page_drawn_before_another_change_is_refused(drug):
    legal = await drug.log_in(LEGAL)
    path = await create(legal)
    old_page = await legal.get(path + "/edit")
    await post_form(legal, path + "/edit", "dossier-form", **{**DRAFT, "strength": "0.5g"})
    response = await legal.post(path + "/edit", data={**hidden_fields(old_page.text), **DRAFT})
    assert response.status_code == 409 and text("drug.dossier.stale") in response.text
    assert cell(await legal.get(path), "value-strength") == "0.5g"


async def test_forms_without_the_sessions_csrf_token_are_refused(drug):
    legal = await drug.log_in(LEGAL)
    response = await legal.post(DOSSIERS + "/new", data={**DRAFT, "csrf_token": "forged"})
    assert response.status_code == 403 and text("page.expired") in response.text
    path = await create(legal)
    response = await legal.post(path + "/delete", data={"csrf_token": "forged", "revision": "1"})
    assert response.status_code == 403 and cell(await legal.get(path), "dossier-state") == "草稿"
    assert await count(drug, ExportDossier) == 1


async def test_another_enterprises_dossiers_are_invisible(drug):
    legal = await drug.log_in(LEGAL)
    path = await create(legal)
    other = await drug.log_in(OTHER_LEGAL)
    listing = await other.get(DOSSIERS)
    assert listing.status_code == 200 and "阿莫西林胶囊" not in listing.text and 'id="no-dossiers"' in listing.text
    token = hidden_fields(listing.text).get("csrf_token") or hidden_fields((await other.get("/")).text)["csrf_token"]
    for response in (await other.get(path), await other.get(path + "/edit"), await other.get(path + "?version=1")):
        assert response.status_code == 404 and text("drug.dossier.not_found") in response.text
    for action in ("edit", "submit", "delete"):
        response = await other.post(f"{path}/{action}", data={**DRAFT, "csrf_token": token, "revision": "1"})
        assert response.status_code == 404 and text("drug.dossier.not_found") in response.text
    page = await legal.get(path)
    assert cell(page, "dossier-state") == "草稿" and [e[0] for e in events(page)] == ["填报"]


async def test_unknown_or_absurd_ids_are_not_found(drug):
    legal = await drug.log_in(LEGAL)
    path = await create(legal)
    assert (await legal.get(path + "?version=1")).status_code == 200
    for wrong in (f"{DOSSIERS}/999", f"{DOSSIERS}/99999999999999999999", f"{path}?version=x", f"{path}?version=0",
                  f"{path}?version=2"):
        assert (await legal.get(wrong)).status_code == 404, wrong
