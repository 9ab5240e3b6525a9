"""我的绑定 after a business system sends the browser back (?result=…&client_id=…): a success
line naming the system, or the refusal's message from the catalogue; nothing for a code it does
not know or a system the user has no binding with (no text from the query is reflected). The
systems are listed in the catalogue file's order, not alphabetically."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import yaml

from tests.support.binding_flows import PAGE, binding_of, bound, on_bindings_page, start, system_api

DRUG = "药品业务应用系统"
CATALOGUE = Path(__file__).resolve().parents[1] / "idp" / "catalogue" / "systems.yaml"


def notice_and_error(html: str) -> tuple[str | None, str | None]:
    notice = re.search(r'id="notice">([^<]*)<', html)
    error = re.search(r'id="error">([^<]*)<', html)
    return (notice.group(1) if notice else None), (error.group(1) if error else None)


async def report(browser, result: str, client_id: str) -> tuple[str | None, str | None]:
    page = await browser.go(PAGE + "?" + urlencode({"result": result, "client_id": client_id}))
    assert page.status_code == 200
    return notice_and_error(page.text)


async def test_the_systems_are_listed_in_the_catalogue_files_order(put):
    """udi first, as in the file (alphabetically 医疗器械分类… would come before 医疗器械唯一…);
    a system registered outside the catalogue comes after them."""
    catalogue = [entry["client_id"] for entry in yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["systems"]]
    await put.add_client("not-in-catalogue", display_name="阿测试系统")
    browser = await on_bindings_page(put, put.account)
    listed = re.findall(r'<tr id="system-([a-z0-9-]+)"', (await browser.go(PAGE)).text)
    in_file = [client_id for client_id in catalogue if client_id in listed]
    assert listed[0] == "udi" and len(in_file) > 3
    assert listed[:len(in_file)] == in_file and "not-in-catalogue" in listed[len(in_file):]
    await browser.aclose()


async def test_a_linked_result_names_the_system_once_the_binding_is_active(put):
    drug = await put.add_client("drug", display_name=DRUG)
    browser = await on_bindings_page(put, put.account)
    pending = binding_of(await start(browser, "drug", "existing"))
    assert await report(browser, "linked", "drug") == (None, None)  # not confirmed: no success yet
    async with system_api(put, drug) as api:
        await api.post(f"/api/bindings/{pending}/refused", json={"reason": "abandoned"})
    await bound(put, browser, drug, "existing")
    assert await report(browser, "linked", "drug") == (f"已成功授权绑定{DRUG}。", None)
    await browser.aclose()


async def test_a_refusal_shows_the_catalogue_message(put):
    drug = await put.add_client("drug", display_name=DRUG)
    browser = await on_bindings_page(put, put.account)
    binding_id = binding_of(await start(browser, "drug", "existing"))
    async with system_api(put, drug) as api:
        assert (await api.post(f"/api/bindings/{binding_id}/refused",
                               json={"reason": "local_account_taken"})).status_code == 200
    notice, error = await report(browser, "local_account_taken", "drug")
    assert notice is None and error.startswith(f"用户绑定授权异常：{DRUG}的该账号已经绑定了其他政务服务门户用户")
    assert await report(browser, "cancelled", "drug") == (f"已取消授权绑定{DRUG}。", None)
    await browser.aclose()


async def test_nothing_is_shown_for_another_system_or_an_unknown_code(put):
    await put.add_client("drug", display_name=DRUG)
    await put.add_client("udi", display_name="医疗器械唯一标识管理信息系统")
    browser = await on_bindings_page(put, put.account)
    binding_of(await start(browser, "drug", "existing"))
    assert await report(browser, "linked", "udi") == (None, None)  # no binding of this user's
    assert await report(browser, "cancelled", "udi") == (None, None)
    page = await browser.go(PAGE + "?" + urlencode({"result": "<b>您的账号已被冻结</b>", "client_id": "drug"}))
    assert notice_and_error(page.text) == (None, None) and "您的账号已被冻结" not in page.text
    await browser.aclose()


async def test_a_done_notice_names_only_a_known_system_never_the_query_text(put, browser):
    from tests.support.space import signed_in

    me = await signed_in(put, put.account)
    try:
        page = await me.go("/space/bindings?done=unbound&system=%E9%92%93%E9%B1%BC%E7%BD%91%E7%AB%99")
    finally:
        await me.aclose()
    assert page.status_code == 200 and "钓鱼网站" not in page.text
