"""Who may bind a system is catalogue data (``account_types``, ``min_realname_level``), enforced by
the portal: the licensed-pharmacist system (全国执业药师注册管理信息系统) is bound by a personal account
in its own capacity (个人登录) at 三级 only. A 二级 account sees why (需三级实名认证, with the link to
the upgrade); a legal person, and a legal person binding for its agent, never see it offered; a
crafted request is refused with the same message and starts nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from idp.bindings.models import Binding
from idp.oidc.client_registration import ClientConfigError, check_client_fields
from shared.messages import text
from tests.support.agents import add_enterprise, authorize_agent
from tests.support.binding_flows import PAGE, binding_of, catalogue_rules, on_bindings_page, shown, start, system_api
from tests.support.portal import hidden_fields
from tests.support.space import ALERT, signed_in

PHARMACIST = "全国执业药师注册管理信息系统"


@pytest.fixture
async def pharmacist(put):
    """The system registered with the catalogue's rules, beside one without any."""
    put.pharmacist = await put.add_client("pharmacist", display_name=PHARMACIST, **catalogue_rules("pharmacist"))
    put.drug = await put.add_client("drug", display_name="药品业务应用系统")
    return put


async def bindings_of(put, account_id: int) -> list[Binding]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(Binding).where(Binding.account_id == account_id))).all())


async def crafted_start(browser, client_id: str, mode: str = "create", action: str | None = None):
    """A POST that no page offered: the CSRF secret from 我的绑定, the system's form address typed in."""
    page = await browser.go(PAGE)
    return await browser.client.post(action or f"{PAGE}/{client_id}",
                                     data={"csrf_token": hidden_fields(page.text)["csrf_token"], "mode": mode})


def test_the_catalogue_gives_the_pharmacist_system_its_rules():
    assert catalogue_rules("pharmacist") == {"account_types": ["personal"], "min_realname_level": 3}
    assert "account_types" not in catalogue_rules("drug") and "min_realname_level" not in catalogue_rules("drug")


async def test_a_二级_person_sees_需三级实名认证_with_the_upgrade_and_cannot_bind(pharmacist):
    put = pharmacist
    browser = await on_bindings_page(put, put.account)  # zhangsan is 二级
    page = browser.last
    assert shown(page.text, "pharmacist") == "level" and shown(page.text, "drug") == "bind"
    row = page.text.split('id="system-pharmacist"')[1].split("</tr>")[0]
    assert "需三级实名认证" in row and 'href="/upgrade"' in row and "授权绑定" not in row
    expected = text("binding.level_required", system=PHARMACIST)
    authorize = await browser.client.get(f"{PAGE}/pharmacist")
    assert authorize.status_code == 403 and ALERT.search(authorize.text).group(1) == expected
    crafted = await crafted_start(browser, "pharmacist")
    assert crafted.status_code == 409 and ALERT.search(crafted.text).group(1) == expected
    assert await bindings_of(put, put.account.id) == []
    await browser.aclose()


async def test_a_三级_person_is_offered_the_system_and_starts_a_binding(pharmacist):
    put = pharmacist
    person = await put.add_account("lisi3", name="李四", id_type="居民身份证", id_number="330000197001010023",
                                   realname_level=3)
    browser = await on_bindings_page(put, person)
    assert shown(browser.last.text, "pharmacist") == "bind"
    binding_id = binding_of(await start(browser, "pharmacist", "create"))
    # The system reads the level and the ID number in the intent, to check them again itself.
    async with system_api(put, put.pharmacist) as api:
        claims = (await api.get(f"/api/bindings/{binding_id}")).json()["claims"]
    assert claims["account_type"] == "personal" and claims["realname_level"] == 3
    assert claims["id_number"] == "330000197001010023" and claims["name"] == "李四"
    await browser.aclose()


async def test_a_legal_person_never_sees_it_and_a_crafted_request_is_refused(pharmacist):
    put = pharmacist
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    async with put.portal.sessionmaker.begin() as db:  # even at 三级: the account type decides
        (await db.get(type(enterprise), enterprise.id)).realname_level = 3
    browser = await on_bindings_page(put, enterprise)
    assert 'id="system-pharmacist"' not in browser.last.text and PHARMACIST not in browser.last.text
    assert shown(browser.last.text, "drug") == "bind"
    expected = text("binding.account_type_refused", system=PHARMACIST)
    authorize = await browser.client.get(f"{PAGE}/pharmacist")
    assert authorize.status_code == 403 and ALERT.search(authorize.text).group(1) == expected
    crafted = await crafted_start(browser, "pharmacist")
    assert crafted.status_code == 409 and ALERT.search(crafted.text).group(1) == expected
    assert await bindings_of(put, enterprise.id) == []
    await browser.aclose()


async def test_a_legal_person_cannot_bind_it_for_its_agent(pharmacist):
    put = pharmacist
    enterprise = await add_enterprise(put, "acme", "示例医疗器械有限公司", 1)
    person = await put.add_account("agent3", name="王五", id_type="居民身份证", id_number="110105199003070017",
                                   realname_level=3)
    agency = await authorize_agent(put, enterprise, person)
    legal = await signed_in(put, enterprise)
    agent_page = await legal.go(f"/space/agents/{agency.id}")
    assert agent_page.status_code == 200 and PHARMACIST not in agent_page.text
    assert "药品业务应用系统" in agent_page.text
    action = f"/space/agents/{agency.id}/bindings/pharmacist"
    expected = text("binding.account_type_refused", system=PHARMACIST)
    authorize = await legal.client.get(action)
    assert authorize.status_code == 403 and ALERT.search(authorize.text).group(1) == expected
    page = await legal.go(f"/space/agents/{agency.id}")
    crafted = await legal.client.post(action, data={"csrf_token": hidden_fields(page.text)["csrf_token"],
                                                     "mode": "existing"})
    assert crafted.status_code == 409 and ALERT.search(crafted.text).group(1) == expected
    assert await bindings_of(put, person.id) == []
    await legal.aclose()


@pytest.mark.parametrize("values", [{"account_types": ["enterprise"]}, {"min_realname_level": 4},
                                    {"min_realname_level": True}, {"min_realname_level": "3"}])
def test_bad_eligibility_rules_are_refused_when_the_catalogue_loads(values):
    with pytest.raises(ClientConfigError):
        check_client_fields(values, production=False)
