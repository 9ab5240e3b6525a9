"""个人用户注册: identity data checked by the identity verifier (实名等级 二级); one personal account
per ID number and per mobile; 15-digit ID numbers converted to 18 (GB 11643)."""
from __future__ import annotations

import asyncio
import datetime as dt

from idp.accounts.models import Account, AccountType
from idp.accounts.service import create_account
from idp.captcha.providers import TEST_ANSWER
from idp.verification import registers
from shared.messages import text
from tests.support.portal import PASSWORD, Browser
from tests.support.registration import (
    LEGAL,
    PERSON,
    accounts,
    alert,
    checked,
    count,
    digest_of,
    events,
    field_error,
    flow_of,
    input_value,
    register_legal,
    register_person,
    selected,
)

PERSONAL = Account.account_type == AccountType.personal
TOMORROW = (dt.date.today() + dt.timedelta(days=2)).isoformat()
ZHOU_JIE = {"name": "周杰", "id_number": "310000720315123", "valid_from": "2019-03-15", "valid_to": "",
            "long_term": "1", "mobile": "13600136001", "email": "zhoujie@example.com", "username": "zhoujie"}


async def test_a_person_registers_with_real_name_level_two(put, browser):
    form = await browser.go("/register/personal")
    for label in ("姓名", "证件类型", "证件号码", "证件有效期", "手机号", "电子邮箱", "用户名", "登录密码", "确认密码",
                  "图形验证码"):
        assert f'<span class="required">*</span> {label}' in form.text, label
    done = await browser.submit(form, "/register/personal", **{
        **PERSON, "id_number": "31000019920229024x", "mobile": "+86 137-0013-7001", "username": "WangFang"},
        captcha=TEST_ANSWER)
    assert "注册成功" in done.text and "实名等级：二级" in done.text
    assert 'href="/login?window=personal">登录个人空间</a>' in done.text

    [account] = await accounts(put, Account.username == "wangfang")
    assert (account.account_type, account.name, account.realname_level) == (AccountType.personal, "王芳", 2)
    assert (account.id_type, account.id_number, account.id_number_original) == (
        "居民身份证", "31000019920229024X", None)
    assert (account.id_valid_from, account.id_valid_to, account.id_long_term) == (
        dt.date(2012, 3, 1), dt.date(2032, 3, 1), False)
    assert (account.mobile, account.email) == ("13700137001", "wangfang@example.com")
    # Both are login names of 个人登录, unique among personal accounts.
    assert (account.personal_id_number, account.personal_mobile) == (
        digest_of(put, Account.personal_id_number, "31000019920229024X"),
        digest_of(put, Account.personal_mobile, "13700137001"))
    assert await put.portal.passwords.verify(account.password_hash, PASSWORD)
    [completed] = await events(put, "registration.personal.completed")
    assert completed.actor == account.subject and completed.details["id_number"] == "3100**********024X"
    assert PASSWORD not in repr((await flow_of(put, form)).data)

    login = await browser.go("/login?window=personal")
    await browser.login(login, "wangfang", window="personal")
    [succeeded] = await events(put, "login.succeeded")
    assert succeeded.actor == account.subject


BAD_INPUT = {
    "name missing": ({"name": ""}, "name", text("registration.required", label="姓名")),
    "name too long": ({"name": "王" * 51}, "name", text("registration.too_long", label="姓名", max=50)),
    "name with a control character": ({"name": "王\x07芳"}, "name", text("registration.name_format", label="姓名")),
    "unknown ID type": ({"id_type": "军官证"}, "id_type", text("registration.choose", label="证件类型")),
    "ID number missing": ({"id_number": " "}, "id_number", text("registration.required", label="证件号码")),
    "ID number check digit": ({"id_number": "310000199202290241"}, "id_number", text("id_number.check")),
    "ID number birth date": ({"id_number": "310000199302290240"}, "id_number", text("id_number.birth_date")),
    "ID number region": ({"id_number": "000000199202290240"}, "id_number", text("id_number.region")),
    "ID number letters": ({"id_number": "31000019920229ABCX"}, "id_number", text("id_number.format")),
    "15-digit ID with a bad date": ({"id_number": "310000721315123"}, "id_number", text("id_number.birth_date")),
    "residence permit of another region": ({"id_type": "港澳居民居住证"}, "id_number",
                                           text("registration.residence_permit_region")),
    "residence permit with 15 digits": ({"id_type": "台湾居民居住证", "id_number": "830000720315123"}, "id_number",
                                        text("registration.id_number_format")),
    "passport number format": ({"id_type": "护照", "id_number": "E12"}, "id_number",
                               text("registration.id_number_format")),
    "validity start missing": ({"valid_from": ""}, "valid_from",
                               text("registration.choose", label="证件有效期开始时间")),
    "validity start format": ({"valid_from": "20120301"}, "valid_from", text("registration.date_format")),
    "validity start in the future": ({"valid_from": TOMORROW, "valid_to": "2046-01-01"}, "valid_from",
                                     text("registration.valid_from_future")),
    "validity end format": ({"valid_to": "2032-13-01"}, "valid_to", text("registration.date_format")),
    "neither end nor 长期": ({"valid_to": ""}, "valid_to", text("registration.valid_to_required")),
    "both end and 长期": ({"long_term": "1"}, "valid_to", text("registration.valid_to_and_long_term")),
    "end before start": ({"valid_to": "2012-03-01"}, "valid_to", text("registration.valid_to_order")),
    "expired ID": ({"valid_from": "2002-03-01", "valid_to": "2022-03-01"}, "valid_to", text("registration.expired")),
    "mobile missing": ({"mobile": ""}, "mobile", text("registration.required", label="手机号")),
    "mobile format": ({"mobile": "1370013700"}, "mobile", text("mobile.format")),
    "email missing": ({"email": ""}, "email", text("registration.required", label="电子邮箱")),
    "email format": ({"email": "wang fang@example.com"}, "email", text("email.format")),
    "username missing": ({"username": ""}, "username", text("registration.required", label="用户名")),
    "username like an ID number": ({"username": "31000019920229024X"}, "username", text("registration.username_rule")),
    "username with a space": ({"username": "wang fang"}, "username", text("registration.username_rule")),
    "password missing": ({"password": ""}, "password", text("registration.required", label="密码")),
    "password too long": ({"password": "Abcdefgh12345678!", "password_confirm": "Abcdefgh12345678!"}, "password",
                          text("password.rule")),
    "password two classes": ({"password": "ABCDEFGH1", "password_confirm": "ABCDEFGH1"}, "password",
                             text("password.rule")),
    "passwords differ": ({"password_confirm": "Test@2026pasS"}, "password_confirm", text("password.mismatch")),
    "captcha missing": ({"captcha": ""}, "captcha", text("registration.required", label="图形验证码")),
    "captcha wrong": ({"captcha": "NOPE"}, "captcha", text("captcha.wrong")),
}


async def test_bad_input_is_shown_on_the_same_form_with_the_values_kept(put, browser):
    """Each case on a fresh form (one database for all: speed on PostgreSQL); nothing is stored."""
    for case, (overrides, field, message) in BAD_INPUT.items():
        page = await register_person(browser, **overrides)
        assert 'action="/register/personal"' in page.text, f"{case}: the same form again"
        assert field_error(page.text, field) == message, case
        assert alert(page.text) == message, case
        typed = {**PERSON, **overrides}
        for name in ("name", "id_number", "valid_from", "valid_to", "mobile", "email", "username"):
            assert input_value(page.text, name) == typed[name], f"{case}: {name} is kept"
        assert selected(page.text, "id_type") == (typed["id_type"] if typed["id_type"] != "军官证" else "居民身份证")
        assert checked(page.text, "long_term") == bool(typed.get("long_term")), case
        assert input_value(page.text, "password") == "" and input_value(page.text, "password_confirm") == "", case
        assert PASSWORD not in page.text, case
        assert (await flow_of(put, page)).state == "form", case
    assert await count(put, Account) == 1, "only the fixture's account"
    assert not await events(put, "registration.personal.completed")


async def test_identity_verification_failure_keeps_the_form_and_offers_the_ctid_hint_for_long_term_ids(put, browser):
    twenty_years = await register_person(browser, name="王方")
    assert alert(twenty_years.text) == text("realname.failed")
    assert input_value(twenty_years.text, "name") == "王方"
    assert 'id="ctid-hint"' not in twenty_years.text

    # 吴丽's ID is 长期 (valid from 2011-01-01); a start date that the register does not hold fails.
    long_term = await register_person(browser, name="吴丽", id_number="110000196501010024", valid_from="2011-01-02",
                                      valid_to="", long_term="1", mobile="13500135001", username="wuli")
    assert alert(long_term.text) == text("realname.failed")
    assert text("registration.ctid_hint") in long_term.text and "CTID" in long_term.text
    assert checked(long_term.text, "long_term")

    assert await count(put, Account) == 1
    refused = await events(put, "registration.personal.refused")
    assert [e.details["reason"] for e in refused] == ["realname.failed"] * 2


async def test_an_id_number_with_an_account_points_to_recovery(put, browser):
    """张三 (the fixture's account) registers again: 证件号码已存在, nothing created."""
    page = await register_person(browser, name="张三", id_number="110000198506120133", valid_from="2015-06-12",
                                 valid_to="2035-06-12", mobile="13500135002", username="zhangsan2")
    assert alert(page.text) == text("id_number.exists")
    assert '<a id="recover-link" href="/recovery">' in page.text
    assert input_value(page.text, "id_number") == "110000198506120133"
    assert await count(put, Account) == 1
    [refused] = await events(put, "registration.personal.refused")
    assert refused.details["reason"] == "id_number.exists" and refused.details["id_number"] == "1100**********0133"


async def test_a_15_digit_id_is_converted_and_matches_its_18_digit_account(put, browser):
    done = await register_person(browser, **ZHOU_JIE)
    assert "注册成功" in done.text
    [account] = await accounts(put, Account.username == "zhoujie")
    assert (account.id_number, account.id_number_original, account.personal_id_number) == (
        "310000197203151234", "310000720315123", digest_of(put, Account.personal_id_number, "310000197203151234"))

    again = await register_person(browser, **{**ZHOU_JIE, "id_number": "310000197203151234", "mobile": "13600136002",
                                              "username": "zhoujie2"})
    assert alert(again.text) == text("id_number.exists")
    assert await count(put, Account, PERSONAL) == 2


async def test_a_mobile_or_username_of_another_personal_account_is_refused(put, browser):
    mobile = await register_person(browser, mobile="13800138000")  # the fixture's account's mobile
    assert alert(mobile.text) == text("registration.mobile_exists")
    assert '<a id="recover-link" href="/recovery">' in mobile.text
    username = await register_person(browser, username="ZhangSan")
    assert alert(username.text) == text("registration.username_exists")
    assert 'id="recover-link"' not in username.text
    assert await count(put, Account) == 1


async def test_a_legal_representative_may_also_hold_a_personal_account(put, browser):
    await register_legal(browser)
    done = await register_person(browser, name="李四", id_number=LEGAL["id_number"], valid_from="2016-01-01",
                                 valid_to="", long_term="1", mobile=LEGAL["mobile"], username="lisi")
    assert "注册成功" in done.text
    assert await count(put, Account, Account.id_number_index == LEGAL["id_number"]) == 2


async def test_a_residence_permit_registers_under_its_own_type(put, browser):
    done = await register_person(browser, name="陈港生", id_type="港澳居民居住证", id_number="810000199001010019",
                                 valid_from="2024-05-01", valid_to="2029-05-01", mobile="13300133001",
                                 username="chengangsheng")
    assert "注册成功" in done.text
    [account] = await accounts(put, Account.username == "chengangsheng")
    assert (account.id_type, account.id_number) == ("港澳居民居住证", "810000199001010019")


async def _parallel(put, registrations: list[dict]) -> list[str]:
    """Open every form first, then post them all at once; the alert of each (empty: registered)."""
    browsers = [Browser(put) for _ in registrations]
    try:
        forms = [await b.go("/register/personal") for b in browsers]
        pages = await asyncio.gather(*(
            b.submit(f, "/register/personal", **{**PERSON, "captcha": TEST_ANSWER, **r})
            for b, f, r in zip(browsers, forms, registrations, strict=True)
        ))
    finally:
        for b in browsers:
            await b.aclose()
    return sorted(alert(p.text) or ("" if "注册成功" in p.text else p.text[:200]) for p in pages)


async def test_parallel_registrations_of_one_id_number_make_exactly_one_account(put):
    outcomes = await _parallel(put, [{"mobile": f"1370013700{i}", "username": f"wangfang{i}"} for i in range(4)])
    assert outcomes == [""] + [text("id_number.exists")] * 3
    assert await count(put, Account, Account.personal_id_number == PERSON["id_number"]) == 1


async def test_parallel_registrations_of_one_username_or_mobile_make_exactly_one_account(put):
    chen = {"name": "陈明", "id_number": "51000019880808059X", "valid_from": "2018-08-08", "valid_to": "2038-08-08"}
    zhao = {"name": "赵强", "id_number": "440000200501011014", "valid_from": "2021-01-01", "valid_to": "2031-01-01"}
    same_username = await _parallel(put, [{**chen, "mobile": "13100131001"}, {**zhao, "mobile": "13100131002"}])
    assert same_username == ["", text("registration.username_exists")]
    wu = {"name": "吴丽", "id_number": "110000196501010024", "valid_from": "2011-01-01", "valid_to": "",
          "long_term": "1"}
    sun = {"name": "孙伟", "id_number": "410000198005150028", "valid_from": "2020-05-15", "valid_to": "2040-05-15"}
    same_mobile = await _parallel(put, [{**wu, "username": "wuli"}, {**sun, "username": "sunwei"}])
    assert same_mobile == ["", text("registration.mobile_exists")]
    assert await count(put, Account, PERSONAL) == 3
    assert await count(put, Account, Account.personal_mobile == PERSON["mobile"]) == 1


async def test_an_account_created_during_verification_wins_and_nothing_else_is_created(put, browser, monkeypatch):
    """Another registration commits between the lookup and the insert: the unique constraint
    refuses this one with the same message the lookup gives."""
    chen = {"name": "陈明", "id_number": "51000019880808059X", "valid_from": "2018-08-08", "valid_to": "2038-08-08",
            "username": "chenming"}
    conflicts = {  # message: (this registration, the one that commits meanwhile)
        "id_number.exists": ({}, {"username": "quicker1", "id_number": PERSON["id_number"], "mobile": "13900139009"}),
        "registration.mobile_exists": (chen, {"username": "quicker2", "id_number": "110000196501010024",
                                              "mobile": PERSON["mobile"]}),
    }
    conflict = {}

    async def verify_while_another_registers(self, claim):
        async with put.portal.sessionmaker.begin() as db:
            await create_account(db, put.portal.passwords, password=PASSWORD, name=claim.name, realname_level=2,
                                 **conflict)
        return True

    monkeypatch.setattr(registers.RegisterFileIdentityVerifier, "verify", verify_while_another_registers)
    for message_id, (this, other) in conflicts.items():
        conflict.update(other)
        page = await register_person(browser, **this)
        assert alert(page.text) == text(message_id), message_id
        assert (await flow_of(put, page)).state == "form"
    assert [a.username for a in await accounts(put, PERSONAL)] == ["zhangsan", "quicker1", "quicker2"]
    refused = await events(put, "registration.personal.refused")
    assert [e.details["reason"] for e in refused] == list(conflicts)


async def test_a_double_submit_creates_one_account(put, browser):
    form = await browser.go("/register/personal")
    await browser.submit(form, "/register/personal", **PERSON, captcha=TEST_ANSWER)
    replay = await browser.submit(form, "/register/personal", **{**PERSON, "username": "wangfang2",
                                                                  "mobile": "13700137009"}, captcha=TEST_ANSWER)
    assert "页面已过期" in replay.text
    assert await count(put, Account, PERSONAL) == 2


async def test_the_form_is_bound_to_its_browser_and_csrf_token(put, browser):
    form = await browser.go("/register/personal")
    forged = await browser.submit(form, "/register/personal", **PERSON, captcha=TEST_ANSWER, csrf_token="")
    assert forged.status_code == 403
    stranger = Browser(put)
    try:
        stolen = await stranger.submit(form, "/register/personal", **PERSON, captcha=TEST_ANSWER)
    finally:
        await stranger.aclose()
    assert "页面已过期" in stolen.text
    assert await count(put, Account, PERSONAL) == 1
