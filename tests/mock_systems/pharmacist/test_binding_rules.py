"""The licensed-pharmacist system checks the binding rules itself, whatever the portal did
(seed 004): 个人登录 only, 三级 only, create-new only for a register record of the same name and
ID number (15-digit numbers converted), bind-existing only for a person with an account here whose
record holds the portal's ID number. A refused binding is reported to the portal (not_eligible),
so it is over at once; nothing is linked or made."""
from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import func, select

from mock_systems.common.models import LocalAccount, PortalLink
from shared.messages import text
from tests.mock_systems.pharmacist.conftest import (
    CHEN_MING,
    SUN_WEI,
    WANG_FANG,
    WU_LI,
    ZHOU_JIE,
    created,
    person,
    pharmacist_browser,
    record_of,
)
from tests.support.fake_portal import bind_existing, browser_for, open_binding, portal_login
from tests.support.system_apps import linked_account

REFUSAL = re.compile(r'<p class="error" role="alert" id="refusal" data-reason="([a-z_.]+)">([^<]*)</p>')


def refusal_of(html: str) -> tuple[str, str]:
    found = REFUSAL.search(html)
    assert found, html[:500]
    return found.group(1), found.group(2)


async def accounts(app) -> int:
    async with app.state.system.sessionmaker() as db:
        return await db.scalar(select(func.count(LocalAccount.id)))


def refused_calls(app, binding_id: str) -> list:
    return [c.json for c in app.state.fake.calls_to("refused", binding_id)]


@pytest.mark.parametrize("claims, reason", [
    (person(WANG_FANG, account_type="legal_person"), "pharmacist.personal_only"),
    (person(WANG_FANG, account_type="agent"), "pharmacist.personal_only"),
    (person(WANG_FANG, realname_level=2), "pharmacist.level_required"),
    ({k: v for k, v in person(WANG_FANG).items() if k != "realname_level"}, "pharmacist.level_required"),
])
async def test_only_a_三级_personal_account_may_bind(pharmacist, claims, reason):
    before = await accounts(pharmacist)
    binding_id = pharmacist.state.fake.intent("create", sub="sub-1", claims=claims)
    answer = await open_binding(pharmacist, binding_id)
    assert answer.status_code == 403 and refusal_of(answer.text) == (reason, text(reason))
    if reason == "pharmacist.level_required":  # the way to the upgrade on the portal
        assert f'href="{pharmacist.state.fake.issuer}/upgrade"' in answer.text
    assert refused_calls(pharmacist, binding_id) == [{"reason": "not_eligible"}]
    assert await accounts(pharmacist) == before and await linked_account(pharmacist, "sub-1") is None


async def test_create_new_takes_the_register_record_of_the_same_name_and_id_number(pharmacist):
    answer = await created(pharmacist, "sub-wang", person(WANG_FANG))
    assert answer.status_code == 303 and "result=linked" in answer.headers["location"]
    account = await linked_account(pharmacist, "sub-wang")
    assert account is not None and account.display_name == "王芳"
    assert (await record_of(pharmacist, "王芳")).account_id == account.id
    assert pharmacist.state.fake.calls_to("confirm")[0].json["kind"] == "created"
    # A reload of the same binding is the link already made, not a refusal (the record is taken by it).
    binding_id = pharmacist.state.fake.calls_to("confirm")[0].path.split("/")[3]
    again = await open_binding(pharmacist, binding_id)
    assert again.status_code == 303 and "result=linked" in again.headers["location"]
    assert refused_calls(pharmacist, binding_id) == []


async def test_an_18_digit_portal_number_matches_a_15_digit_record_by_the_standard_conversion(pharmacist):
    assert (await record_of(pharmacist, "吴丽")).id_number == "110000650101002"
    answer = await created(pharmacist, "sub-wu", person(WU_LI))
    assert answer.status_code == 303
    assert (await record_of(pharmacist, "吴丽")).account_id == (await linked_account(pharmacist, "sub-wu")).id


@pytest.mark.parametrize("claims", [
    person(ZHOU_JIE),  # the 15-digit record converts to another number
    person(WANG_FANG, name="王方"),  # another name
    person({"name": "钱七", "id_number": "110000198001010011"}),  # no record at all
])
async def test_a_mismatch_is_refused_with_the_guides_steps(pharmacist, claims):
    binding_id = pharmacist.state.fake.intent("create", sub="sub-x", claims=claims)
    answer = await open_binding(pharmacist, binding_id)
    assert answer.status_code == 403
    assert refusal_of(answer.text) == ("pharmacist.no_record", text("pharmacist.no_record"))
    guidance = answer.text.split('id="guidance"')[1]
    assert "中国人事考试网" in guidance and 'href="http://www.cpta.com.cn/"' in guidance
    assert "15 位老身份证号码，此类情况省局管理员核实后，可以升级注册系统中身份证号码" in guidance
    assert "省局填写添加申请表报国家局执业药师中心进行处理" in guidance
    assert refused_calls(pharmacist, binding_id) == [{"reason": "not_eligible"}]
    assert await linked_account(pharmacist, "sub-x") is None


async def test_create_new_is_refused_to_a_person_who_has_an_account_here(pharmacist):
    binding_id = pharmacist.state.fake.intent("create", sub="sub-chen", claims=person(CHEN_MING))
    answer = await open_binding(pharmacist, binding_id)
    assert answer.status_code == 409 and refusal_of(answer.text)[0] == "pharmacist.has_account"
    assert refused_calls(pharmacist, binding_id) == [{"reason": "not_eligible"}]


async def test_bind_existing_with_the_persons_own_account(pharmacist):
    # 孙伟's record still holds the 15-digit number: it converts to the portal's.
    for who, username, sub in ((CHEN_MING, "pharmacist_demo", "sub-chen"), (SUN_WEI, "pharmacist_demo2", "sub-sun")):
        binding_id = pharmacist.state.fake.intent("existing", sub=sub, claims=person(who))
        answer = await bind_existing(pharmacist, binding_id, username)
        assert answer.status_code == 303 and "result=linked" in answer.headers["location"], answer.text[:300]
        assert (await linked_account(pharmacist, sub)).username == username


async def test_bind_existing_is_not_offered_to_a_person_without_an_account_here(pharmacist):
    binding_id = pharmacist.state.fake.intent("existing", sub="sub-wang", claims=person(WANG_FANG))
    answer = await open_binding(pharmacist, binding_id)
    assert answer.status_code == 409 and refusal_of(answer.text)[0] == "pharmacist.no_account"
    assert 'action="/binding/start"' not in answer.text
    assert refused_calls(pharmacist, binding_id) == [{"reason": "not_eligible"}]


async def test_bind_existing_refuses_another_persons_account(pharmacist):
    # 陈明 has an account; he types 孙伟's credentials: the record's ID number is not his.
    binding_id = pharmacist.state.fake.intent("existing", sub="sub-chen", claims=person(CHEN_MING))
    answer = await bind_existing(pharmacist, binding_id, "pharmacist_demo2")
    assert answer.status_code == 400 and text("pharmacist.id_mismatch") in answer.text
    assert 'action="/binding/start"' in answer.text  # the form again: his own account may follow
    assert await linked_account(pharmacist, "sub-chen") is None
    assert refused_calls(pharmacist, binding_id) == []


async def test_a_login_below_三级_or_in_法人登录_is_refused_by_the_system(pharmacist):
    browser = await pharmacist_browser(pharmacist, "sub-wang", person(WANG_FANG))
    home = await browser.get("/")
    assert home.status_code == 200 and 'href="/registration"' in home.text
    for claims, reason in ((person(WANG_FANG, realname_level=2), "pharmacist.level_required"),
                           (person(WANG_FANG, account_type="agent"), "pharmacist.personal_only")):
        other = browser_for(pharmacist, pharmacist.state.system.settings.base_url)
        assert (await portal_login(pharmacist, other, "sub-wang", claims)).status_code == 303
        for path in ("/", "/registration"):
            page = await other.get(path)
            assert page.status_code == 403 and refusal_of(page.text)[0] == reason
        await other.aclose()
    await browser.aclose()


async def test_two_bindings_of_one_record_at_once_one_takes_it(pharmacist):
    """Two portal accounts with the same name and ID number (impossible at the portal, which keeps one
    personal account per ID number; the system does not rely on it): the record takes one account."""
    fake = pharmacist.state.fake
    ids = [fake.intent("create", sub=f"sub-{n}", claims=person(WANG_FANG)) for n in (1, 2)]
    browsers = [browser_for(pharmacist, pharmacist.state.system.settings.base_url) for _ in ids]
    answers = await asyncio.gather(*(open_binding(pharmacist, b, browser)
                                     for b, browser in zip(ids, browsers, strict=True)))
    assert sorted(a.status_code for a in answers) == [303, 409]
    async with pharmacist.state.system.sessionmaker() as db:
        assert await db.scalar(select(func.count(PortalLink.id))) == 1
    for browser in browsers:
        await browser.aclose()
