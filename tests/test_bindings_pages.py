"""我的绑定 and the authorization page (docs/behaviours.md, Binding), from the user's side: what each state shows,
starting both modes, the one-binding and classification ⟂ combination rules with the guide's
wording, unbinding (refused for a link created by binding), and /sso without a binding."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import yaml

from idp.settings import Settings
from tests.support.binding_flows import (
    PAGE,
    binding,
    binding_of,
    bound,
    host,
    live,
    on_bindings_page,
    run_outbox,
    shown,
    start,
    unbind,
)
from tests.support.portal import hidden_fields

CLASSIFICATION = "医疗器械分类界定信息系统"
COMBINATION = "药械组合产品属性界定信息系统"


@pytest.fixture
async def systems(put):
    """Two systems of the catalogue, registered with secrets and routed to the fake systems."""
    put.classification = await put.add_client("classification", display_name=CLASSIFICATION)
    put.combination = await put.add_client("combination", display_name=COMBINATION)
    put.drug = await put.add_client("drug", display_name="药品业务应用系统")
    return put


async def test_the_page_needs_a_login(put, browser):
    response = await browser.client.get(PAGE)
    assert response.status_code == 303 and urlsplit(response.headers["location"]).path == "/login"


async def test_the_page_lists_every_catalogue_system_with_授权绑定(put):
    browser = await on_bindings_page(put, put.account)
    page = browser.last
    assert "1 您当前登录的账号授权绑定的系统如下(点击系统名称可进行单点登录):" in page.text
    catalogue = yaml.safe_load(Settings().catalogue_path.read_text(encoding="utf-8"))["systems"]
    assert len(catalogue) == 23
    for system in catalogue:
        assert system["display_name"] in page.text
        if system.get("min_realname_level", 0) > 2:  # zhangsan is 二级: the pharmacist system says why not
            assert shown(page.text, system["client_id"]) == "level"
            continue
        assert shown(page.text, system["client_id"]) == "bind"
        assert f'href="/space/bindings/{system["client_id"]}">授权绑定</a>' in page.text
    assert "/sso/" not in page.text  # nothing bound: no name is a single sign-on link
    assert re.search(r'<a [^>]*href="/space/bindings"[^>]*aria-current="page">我的绑定</a>', page.text)
    await browser.aclose()


async def test_the_three_states_授权绑定_解除绑定_不可解除(systems):
    put = systems
    browser = await on_bindings_page(put, put.account)
    await bound(put, browser, put.classification, "create")
    await bound(put, browser, put.drug, "existing")
    page = await browser.go(PAGE)
    assert shown(page.text, "classification") == "fixed"
    row = page.text.split('id="system-classification"', 1)[1].split("</tr>", 1)[0]
    assert "不可解除" in row and "/unbind\"" not in row and "解除绑定</button>" not in row  # no way to undo it oneself
    assert shown(page.text, "drug") == "unbind"
    row = page.text.split('id="system-drug"', 1)[1].split("</tr>", 1)[0]
    assert "解除绑定" in row and 'action="/space/bindings/drug/unbind"' in row
    assert shown(page.text, "udi") == "bind"
    # A bound system's name is its single sign-on link; an unbound one's is not.
    assert f'<a class="sso" href="/sso/classification">{CLASSIFICATION}</a>' in page.text
    assert '<a class="sso" href="/sso/drug">药品业务应用系统</a>' in page.text
    assert 'href="/sso/udi"' not in page.text
    await browser.aclose()


async def test_the_authorization_page_has_the_guides_text_and_two_choices(systems):
    put = systems
    browser = await on_bindings_page(put, put.account)
    page = await browser.go(f"{PAGE}/classification")
    assert f"您正在使用政务服务门户账号登录“<strong>{CLASSIFICATION}</strong>”，请确认以下授权信息：" in page.text
    for line in ("1、获取您的用户信息（姓名、手机号、身份证号）", "2、获取您的身份信息（自然人身份、法人身份）",
                 "3、获取您的企业信息（营业执照数据）"):
        assert line in page.text
    assert re.search(r'<button [^>]*value="create">直接授权创建新的账号</button>', page.text)
    assert re.search(r'<button [^>]*value="existing">已有用户的登录授权</button>', page.text)
    assert "(将在业务系统中注册新帐号，无法主动解绑！)" in page.text
    assert "(使用原业务系统账号密码登录，可在帐号设置中解绑！)" in page.text
    assert (await browser.client.get(f"{PAGE}/no-such-system")).status_code == 404
    await browser.aclose()


@pytest.mark.parametrize("mode", ["create", "existing"])
async def test_each_choice_starts_a_pending_binding_and_sends_the_browser_to_the_system(systems, mode):
    put = systems
    browser = await on_bindings_page(put, put.account)
    response = await start(browser, "drug", mode)
    location = response.headers["location"]
    binding_id = binding_of(response)
    assert location == f"https://{host('drug')}/binding/start?binding={binding_id}"
    row = await binding(put, binding_id)
    assert (row.state, row.mode, row.kind, row.slot, row.account_id) == ("pending", mode, None, "drug", put.account.id)
    assert shown((await browser.go(PAGE)).text, "drug") == "pending"
    await browser.aclose()


async def test_starting_needs_the_sessions_csrf_secret_and_a_known_mode(systems):
    put = systems
    browser = await on_bindings_page(put, put.account)
    assert (await browser.client.post(f"{PAGE}/drug", data={"mode": "create"})).status_code == 403
    page = await browser.go(f"{PAGE}/drug")
    csrf = hidden_fields(page.text)["csrf_token"]
    refused = await browser.client.post(f"{PAGE}/drug", data={"csrf_token": csrf, "mode": "both"})
    assert refused.status_code == 409 and "该业务系统暂不支持授权绑定。" in refused.text
    assert await live(put, put.account.id) == []
    await browser.aclose()


async def test_a_second_binding_of_a_bound_system_gets_the_guides_message(systems):
    put = systems
    browser = await on_bindings_page(put, put.account)
    await bound(put, browser, put.classification, "existing")
    again = await start(browser, "classification", "create")
    assert again.status_code == 409
    assert f"用户绑定授权异常：当前政务门户用户已经绑定了{CLASSIFICATION}，请勿重新绑定！" in again.text
    assert len(await live(put, put.account.id)) == 1
    await browser.aclose()


@pytest.mark.parametrize("first, second", [("classification", "combination"), ("combination", "classification")])
async def test_classification_and_combination_exclude_each_other(systems, first, second):
    put = systems
    names = {"classification": CLASSIFICATION, "combination": COMBINATION}
    browser = await on_bindings_page(put, put.account)
    await bound(put, browser, getattr(put, first), "create")
    refused = await start(browser, second, "existing")
    assert refused.status_code == 409
    assert (f"用户绑定授权异常：当前政务门户用户已经绑定了{names[first]}，不能同时绑定{names[second]}，"
            f"请通过法人授权经办人绑定{names[second]}。") in refused.text
    assert [b.client_id for b in await live(put, put.account.id)] == [first]
    # Another portal account (the agent the message points to) binds the other system freely.
    agent = await put.add_account("jingbanren", name="王五")
    other = await on_bindings_page(put, agent)
    assert binding_of(await start(other, second, "existing"))
    await browser.aclose()
    await other.aclose()


async def test_unbinding_a_link_created_by_binding_is_refused_without_asking_the_system(systems):
    put = systems
    browser = await on_bindings_page(put, put.account)
    binding_id = await bound(put, browser, put.drug, "create")
    refused = await unbind(browser, "drug")
    assert refused.status_code == 409 and "该绑定为直接授权创建的新账号，无法主动解绑。" in refused.text
    assert (await binding(put, binding_id)).state == "active"
    assert [c for c in put.systems.calls if c.method == "DELETE"] == []
    await browser.aclose()


async def test_unbinding_an_existing_account_ends_the_binding_and_offers_授权绑定_again(systems):
    put = systems
    browser = await on_bindings_page(put, put.account)
    binding_id = await bound(put, browser, put.drug, "existing")
    page = await browser.go((await unbind(browser, "drug")).headers["location"])
    assert "已解除与药品业务应用系统的绑定。" in page.text
    assert shown(page.text, "drug") == "bind"
    row = await binding(put, binding_id)
    assert (row.state, row.slot, row.ended_reason) == ("ended", None, "unbound")
    assert put.systems.links == {}  # the system removed its link
    # And the user may bind it again.
    assert binding_of(await start(browser, "drug", "existing"))
    await browser.aclose()


async def test_unbinding_while_the_system_is_down_is_retried_until_it_answers(systems):
    put = systems
    browser = await on_bindings_page(put, put.account)
    binding_id = await bound(put, browser, put.drug, "existing")
    put.systems.down.add(host("drug"))
    page = await browser.go((await unbind(browser, "drug")).headers["location"])
    assert "已申请解除与药品业务应用系统的绑定，业务系统确认后即解除。" in page.text
    assert shown(page.text, "drug") == "unbinding"
    assert await run_outbox(put) == 0  # still down: retried, still unbinding
    assert (await binding(put, binding_id)).state == "unbinding"
    # While unbinding, the portal does not send the user into the system.
    assert (await browser.client.get("/sso/drug")).status_code == 403
    put.systems.down.clear()
    assert await run_outbox(put) == 1
    assert (await binding(put, binding_id)).state == "ended"
    assert await run_outbox(put) == 0  # done once: nothing more to send
    assert shown((await browser.go(PAGE)).text, "drug") == "bind"
    await browser.aclose()


async def test_sso_needs_an_active_binding(systems):
    put = systems
    put.drug = await put.add_client("drug", display_name="药品业务应用系统",
                                    initiate_login_uri=f"https://{host('drug')}/auth/login")
    browser = await on_bindings_page(put, put.account)
    refused = await browser.client.get("/sso/drug")
    assert refused.status_code == 403 and "location" not in refused.headers
    assert "您尚未绑定药品业务应用系统，请先在“我的绑定”中授权绑定后再单点登录。" in refused.text
    assert 'href="/space/bindings"' in refused.text
    await bound(put, browser, put.drug, "existing")
    onwards = await browser.client.get("/sso/drug")
    assert onwards.status_code == 303 and onwards.headers["location"].startswith(f"https://{host('drug')}/auth/login?")
    await browser.aclose()


async def test_a_legal_person_binds_from_法人空间(systems):
    put = systems
    legal = await put.add_account("demo_enterprise", name="李四", account_type="legal_person",
                                  enterprise_name="示例医疗器械有限公司", credit_code="91110105PDY0001752")
    browser = await on_bindings_page(put, legal)
    assert "法人空间" in browser.last.text and shown(browser.last.text, "udi") == "bind"
    await bound(put, browser, put.classification, "existing")
    assert shown((await browser.go(PAGE)).text, "classification") == "unbind"
    # The personal account zhangsan is another portal account: its slots are its own.
    other = await on_bindings_page(put, put.account)
    assert shown(other.last.text, "classification") == "bind"
    await browser.aclose()
    await other.aclose()
