"""公共服务 → 在线办理 (seed 001 第三步, the second way into a system): the catalogue of 事项
filtered by theme, each naming its system; 在线办理 takes a bound user through the single
sign-on, an unbound one to 授权绑定 first, a logged-out one to the login and back."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from idp.public_services.catalogue import ServiceCatalogueError, load_services
from idp.settings import Settings
from tests.support.agents import add_enterprise, agent_login, authorize_agent
from tests.support.binding_flows import bound, host, on_bindings_page
from tests.support.portal import Browser

UDI = "医疗器械唯一标识管理信息系统"


@pytest.fixture
async def udi(put):
    put.udi = await put.add_client("udi", display_name=UDI, initiate_login_uri=f"https://{host('udi')}/auth/login")
    return put


def rows(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('<tr id="service-')[1:]]


async def test_the_catalogue_filters_by_theme_and_names_each_system(udi, browser):
    everything = await browser.client.get("/services")
    assert everything.status_code == 200 and "<h1>公共服务</h1>" in everything.text
    assert 'id="nav-services" href="/services">公共服务</a>' in everything.text
    devices = await browser.client.get("/services", params={"theme": "医疗器械"})
    row = devices.text.split('id="service-udi-declaration"')[1].split("</tr>")[0]
    assert "医疗器械产品标识申报" in row and f"<td>{UDI}</td>" in row
    assert 'href="/services/udi-declaration/online">在线办理</a>' in row
    assert "udi-declaration" not in (await browser.client.get("/services", params={"theme": "化妆品"})).text
    assert set(rows(devices.text)) < set(rows(everything.text))
    unknown = await browser.client.get("/services", params={"theme": "<script>"})  # all 事项, nothing echoed
    assert unknown.status_code == 200 and "<script>" not in unknown.text


async def test_a_logged_out_user_is_sent_to_login_and_comes_back(udi, browser):
    response = await browser.client.get("/services/udi-declaration/online")
    target = urlsplit(response.headers["location"])
    assert response.status_code == 303 and target.path == "/login"
    assert parse_qs(target.query)["return_to"] == ["/services/udi-declaration/online"]


async def test_an_unbound_user_is_sent_to_授权绑定_first_and_a_bound_one_straight_in(udi):
    browser = await on_bindings_page(udi, udi.account)
    first = await browser.client.get("/services/udi-declaration/online")
    assert first.status_code == 303 and first.headers["location"] == "/space/bindings/udi"
    await bound(udi, browser, udi.udi, "existing")
    second = await browser.client.get("/services/udi-declaration/online")
    assert second.status_code == 303 and second.headers["location"] == "/sso/udi"
    into = await browser.client.get("/sso/udi")
    assert into.status_code == 303 and into.headers["location"].startswith(f"https://{host('udi')}/auth/login?")
    await browser.aclose()


async def test_an_agent_is_sent_to_the_sso_which_names_the_legal_person(udi):
    enterprise = await add_enterprise(udi, "acme", "示例医疗器械有限公司", 1)
    await authorize_agent(udi, enterprise, udi.account)
    browser = Browser(udi)
    await agent_login(browser, await browser.go("/login?window=legal"), "zhangsan")
    response = await browser.client.get("/services/udi-declaration/online")
    assert response.status_code == 303 and response.headers["location"] == "/sso/udi"
    await browser.aclose()


@pytest.mark.parametrize("service_id", ["no-such-item", "UDI-DECLARATION", "x" * 100])
async def test_an_unknown_item_is_refused(udi, browser, service_id):
    response = await browser.client.get(f"/services/{service_id}/online")
    assert response.status_code == 404 and "该事项不存在或暂不支持在线办理。" in response.text


def test_every_item_names_a_system_of_the_catalogue_in_one_of_the_three_themes():
    settings = Settings()
    catalogue = load_services(settings.services_path)
    systems = {s["client_id"] for s in yaml.safe_load(settings.catalogue_path.read_text("utf-8"))["systems"]}
    assert catalogue.themes == ("药品", "医疗器械", "化妆品")
    assert {s.system for s in catalogue.services} <= systems
    assert {s.theme for s in catalogue.services} == set(catalogue.themes)
    assert catalogue.find("udi-declaration").system == "udi"


@pytest.mark.parametrize(("text", "reason"), [
    ("themes: [药品]\nservices:\n  - {id: a, name: A, theme: 食品, system: udi}\n", "theme"),
    ("themes: [药品]\nservices:\n  - {id: a, name: A, theme: 药品}\n", "needs a system"),
    ("themes: [药品]\nservices:\n  - {id: a, name: A, theme: 药品, system: udi}\n"
     "  - {id: a, name: B, theme: 药品, system: udi}\n", "repeats"),
    ("services: []\n", "themes"),
])
def test_a_malformed_file_is_refused_with_the_reason(tmp_path: Path, text, reason):
    path = tmp_path / "services.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ServiceCatalogueError, match=reason):
        load_services(path)
