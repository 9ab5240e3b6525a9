"""法人用户注册 (docs/behaviours.md, Registration): 填写认证信息 → 开始认证 (every field validated, 工商认证) →
创建用户 → 确认注册 → 登录法人空间. One legal-person account per 统一社会信用代码."""
from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from idp.accounts.models import Account, AccountType
from idp.captcha.providers import TEST_ANSWER
from idp.flows.models import Flow
from idp.verification.registers import EnterpriseVerifier
from shared.messages import text
from tests.support.portal import PASSWORD, Browser, running_portal
from tests.support.registration import (
    CREDENTIALS,
    LEGAL,
    accounts,
    alert,
    checked,
    count,
    events,
    field_error,
    flow_of,
    input_value,
    legal_step_one,
    register_legal,
    selected,
)

TOMORROW = (dt.date.today() + dt.timedelta(days=2)).isoformat()
LEGAL_ACCOUNTS = Account.account_type == AccountType.legal_person


async def test_a_legal_person_registers_in_three_steps_and_logs_in_through_the_legal_window(put, browser):
    form = await browser.go("/register/legal")
    assert "开始认证" in form.text and '<img id="captcha-image"' in form.text
    for label in ("企业名称", "统一社会信用代码", "法定代表人姓名", "证件类型", "证件号码", "证件有效期", "手机号",
                  "电子邮箱", "图形验证码"):
        assert f'<span class="required">*</span> {label}' in form.text, label

    user_step = await browser.submit(form, "/register/legal", **LEGAL, captcha=TEST_ANSWER)
    assert 'action="/register/legal/user"' in user_step.text and "确认注册" in user_step.text
    assert "示例医疗器械有限公司" in user_step.text and "91110105PDY0001752" in user_step.text
    assert await count(put, Account, LEGAL_ACCOUNTS) == 0, "nothing is created before 确认注册"

    done = await browser.submit(user_step, "/register/legal/user", step="confirm", **CREDENTIALS)
    assert "注册成功" in done.text and 'href="/login?window=legal">登录法人空间</a>' in done.text

    [account] = await accounts(put, LEGAL_ACCOUNTS)
    assert (account.username, account.enterprise_name, account.credit_code) == (
        "shili_qiye", "示例医疗器械有限公司", "91110105PDY0001752")
    # name and id_* describe the legal representative.
    assert (account.name, account.id_type, account.id_number) == ("李四", "居民身份证", "330000197001010023")
    assert (account.id_valid_from, account.id_valid_to, account.id_long_term) == (dt.date(2016, 1, 1), None, True)
    assert (account.mobile, account.email, account.realname_level) == ("13900139001", "legal@example.com", 2)
    assert account.personal_id_number is None and account.personal_mobile is None, "not a personal login name"
    assert await put.portal.passwords.verify(account.password_hash, PASSWORD)
    [completed] = await events(put, "registration.legal.completed")
    assert completed.actor == account.subject and completed.details["credit_code"] == "91110105PDY0001752"
    assert await events(put, "registration.legal.verified")

    login = await browser.go("/login?window=legal")
    await browser.login(login, "shili_qiye", window="legal")
    [succeeded] = await events(put, "login.succeeded")
    assert succeeded.actor == account.subject


async def test_the_flow_keeps_the_step_data_but_never_the_password(put, browser):
    await register_legal(browser)
    async with put.portal.reader() as db:
        [stored] = (await db.scalars(select(Flow).where(Flow.kind == "registration_legal"))).all()
    assert stored.finished_at is not None and stored.state == "done"
    assert stored.data["enterprise"]["credit_code"] == "91110105PDY0001752"
    assert PASSWORD not in repr(stored.data)


BAD_STEP_ONE = {
    "enterprise name missing": ({"enterprise_name": " "}, "enterprise_name",
                                text("registration.required", label="企业名称")),
    "enterprise name too long": ({"enterprise_name": "企" * 101}, "enterprise_name",
                                 text("registration.too_long", label="企业名称", max=100)),
    "credit code missing": ({"credit_code": ""}, "credit_code",
                            text("registration.required", label="统一社会信用代码")),
    "credit code with I and O": ({"credit_code": "91110105PDYIO01752"}, "credit_code", text("credit_code.format")),
    "credit code too short": ({"credit_code": "91110105PDY000175"}, "credit_code", text("credit_code.format")),
    "credit code check character": ({"credit_code": "91110105PDY0001753"}, "credit_code", text("credit_code.check")),
    "representative missing": ({"name": ""}, "name", text("registration.required", label="法定代表人姓名")),
    "unknown ID type": ({"id_type": "军官证"}, "id_type", text("registration.choose", label="证件类型")),
    "ID number missing": ({"id_number": ""}, "id_number", text("registration.required", label="证件号码")),
    "ID number check digit": ({"id_number": "330000197001010024"}, "id_number", text("id_number.check")),
    "ID number birth date": ({"id_number": "330000197002300023"}, "id_number", text("id_number.birth_date")),
    "ID number region": ({"id_number": "990000197001010023"}, "id_number", text("id_number.region")),
    "ID number length": ({"id_number": "33000019700101002"}, "id_number", text("id_number.format")),
    "validity start missing": ({"valid_from": ""}, "valid_from",
                               text("registration.choose", label="证件有效期开始时间")),
    "validity start format": ({"valid_from": "2016/01/01"}, "valid_from", text("registration.date_format")),
    "validity start no such day": ({"valid_from": "2016-02-30"}, "valid_from", text("registration.date_format")),
    "validity start in the future": ({"valid_from": TOMORROW}, "valid_from", text("registration.valid_from_future")),
    "neither end nor 长期": ({"long_term": ""}, "valid_to", text("registration.valid_to_required")),
    "both end and 长期": ({"valid_to": "2036-01-01"}, "valid_to", text("registration.valid_to_and_long_term")),
    "end before start": ({"long_term": "", "valid_to": "2015-01-01"}, "valid_to", text("registration.valid_to_order")),
    "expired ID": ({"long_term": "", "valid_to": "2021-01-01"}, "valid_to", text("registration.expired")),
    "mobile missing": ({"mobile": ""}, "mobile", text("registration.required", label="手机号")),
    "mobile format": ({"mobile": "12345678901"}, "mobile", text("mobile.format")),
    "email missing": ({"email": ""}, "email", text("registration.required", label="电子邮箱")),
    "email format": ({"email": "legal@"}, "email", text("email.format")),
    "captcha missing": ({"captcha": ""}, "captcha", text("registration.required", label="图形验证码")),
    "captcha wrong": ({"captcha": "NOPE"}, "captcha", text("captcha.wrong")),
}


async def test_bad_input_at_start_authentication_is_shown_on_the_same_form(put, browser):
    """Each case on a fresh form (one database for all: speed on PostgreSQL); nothing is stored."""
    for case, (overrides, field, message) in BAD_STEP_ONE.items():
        page = await legal_step_one(browser, **overrides)
        assert 'action="/register/legal"' in page.text, f"{case}: the same form again"
        assert field_error(page.text, field) == message, case
        assert alert(page.text) == message, case
        typed = {**LEGAL, **overrides}
        for name in ("enterprise_name", "credit_code", "name", "id_number", "valid_from", "valid_to", "mobile",
                     "email"):
            assert input_value(page.text, name) == typed[name], f"{case}: {name} is kept"
        assert selected(page.text, "id_type") == (typed["id_type"] if typed["id_type"] != "军官证" else "居民身份证")
        assert checked(page.text, "long_term") == bool(typed["long_term"]), case
        assert f'value="{TEST_ANSWER}"' not in page.text, f"{case}: a new captcha needs a new answer"
        assert (await flow_of(put, page)).state == "enterprise", case
    assert await count(put, Account, LEGAL_ACCOUNTS) == 0
    assert not await events(put, "registration.legal.verified")


async def test_every_problem_is_shown_at_once_under_its_field(put, browser):
    page = await browser.go("/register/legal")
    page = await browser.submit(page, "/register/legal", captcha=TEST_ANSWER)
    for field in ("enterprise_name", "credit_code", "name", "id_number", "valid_from", "valid_to", "mobile", "email"):
        assert field_error(page.text, field), field
    assert alert(page.text) == text("registration.required", label="企业名称"), "the first problem on top"
    assert field_error(page.text, "captcha") is None


async def test_a_refused_form_gets_a_new_single_use_captcha(put, browser):
    first = await browser.go("/register/legal")
    refused = await browser.submit(first, "/register/legal", **{**LEGAL, "mobile": "1"}, captcha=TEST_ANSWER)
    old_id = first.text.split('name="captcha_id" value="')[1].split('"')[0]
    assert old_id not in refused.text
    replay = await browser.submit(refused, "/register/legal", **LEGAL, captcha=TEST_ANSWER, captcha_id=old_id)
    assert field_error(replay.text, "captcha") == text("captcha.expired")


async def test_enterprise_verification_failure_is_refused(put, browser):
    mismatches = {
        "enterprise name": {"enterprise_name": "示例医疗器械股份有限公司"},
        "representative": {"name": "李五"},
        "representative ID": {"id_number": "330000197001010015"},  # a valid number, not the representative's
        "unknown enterprise": {"credit_code": "91110105PDY0001765"},  # a valid code the register does not know
    }
    for case, overrides in mismatches.items():
        page = await legal_step_one(browser, **overrides)
        assert alert(page.text) == text("registration.enterprise_failed"), case
        assert input_value(page.text, "enterprise_name") == {**LEGAL, **overrides}["enterprise_name"], case
        assert (await flow_of(put, page)).state == "enterprise", case
    refused = await events(put, "registration.legal.refused")
    assert [(e.outcome, e.details["reason"]) for e in refused] == [("failure", "registration.enterprise_failed")] * 4
    assert await count(put, Account, LEGAL_ACCOUNTS) == 0


async def test_a_gb_11714_warning_is_accepted_and_audited(put, browser):
    done = await register_legal(browser, {
        "enterprise_name": "广州示例医药科技有限公司", "credit_code": "91440101PDY000180A", "name": "孙伟",
        "id_number": "410000198005150028", "valid_from": "2020-05-15", "valid_to": "2040-05-15", "long_term": ""})
    assert "注册成功" in done.text
    [warning] = await events(put, "registration.credit_code_warning")
    assert warning.outcome == "warning" and warning.details == {
        "credit_code": "91440101PDY000180A", "warnings": ["credit_code.org_code_check"]}
    [completed] = await events(put, "registration.legal.completed")
    assert completed.details["credit_code_warnings"] == ["credit_code.org_code_check"]


async def test_a_second_registration_of_a_credit_code_points_to_recovery(put, browser):
    await register_legal(browser)
    again = Browser(put)
    try:
        page = await legal_step_one(again, credit_code="9111 0105 pdy0 0017 52")  # the same code, typed loosely
    finally:
        await again.aclose()
    assert alert(page.text) == text("credit_code.exists")
    assert '<a id="recover-link" href="/recovery">' in page.text
    assert (await flow_of(put, page)).state == "enterprise"
    assert await count(put, Account, LEGAL_ACCOUNTS) == 1


async def test_a_15_digit_representative_id_is_stored_as_18_digits(put, browser):
    await register_legal(browser, {
        "enterprise_name": "杭州示例药品检验研究所", "credit_code": "12330106PDY0047154", "name": "周杰",
        "id_number": "310000720315123", "valid_from": "2019-03-15"})
    [account] = await accounts(put, LEGAL_ACCOUNTS)
    assert (account.id_number, account.id_number_original) == ("310000197203151234", "310000720315123")


BAD_USER_STEP = {
    "username missing": ({"username": ""}, "username", text("registration.required", label="用户名")),
    "username like a mobile": ({"username": "13900139001"}, "username", text("registration.username_rule")),
    "username too short": ({"username": "abc"}, "username", text("registration.username_rule")),
    "username not ASCII": ({"username": "示例企业"}, "username", text("registration.username_rule")),
    "username taken": ({"username": "ZhangSan"}, "username", text("registration.username_exists")),
    "password missing": ({"password": "", "password_confirm": ""}, "password",
                         text("registration.required", label="密码")),
    "password too short": ({"password": "Ab1!", "password_confirm": "Ab1!"}, "password", text("password.rule")),
    "password two classes": ({"password": "abcdefgh1", "password_confirm": "abcdefgh1"}, "password",
                             text("password.rule")),
    "passwords differ": ({"password_confirm": PASSWORD + "x"}, "password_confirm", text("password.mismatch")),
}


async def test_bad_input_at_create_user_is_shown_on_the_same_form(put, browser):
    for case, (overrides, field, message) in BAD_USER_STEP.items():
        user_step = await legal_step_one(browser)
        page = await browser.submit(user_step, "/register/legal/user", step="confirm", **{**CREDENTIALS, **overrides})
        assert 'action="/register/legal/user"' in page.text, case
        assert alert(page.text) == message, case
        if case != "username taken":  # found in the database, not by the form's rules
            assert field_error(page.text, field) == message, case
        assert input_value(page.text, "username") == {**CREDENTIALS, **overrides}["username"], case
        assert input_value(page.text, "password") == "" and input_value(page.text, "password_confirm") == "", case
        assert (await flow_of(put, page)).state == "user", case
    assert await count(put, Account, LEGAL_ACCOUNTS) == 0


async def test_back_returns_to_the_filled_in_enterprise_form(put, browser):
    user_step = await legal_step_one(browser)
    back = await browser.submit(user_step, "/register/legal/user", step="back")
    assert 'action="/register/legal"' in back.text
    for name in ("enterprise_name", "credit_code", "name", "id_number", "valid_from", "mobile", "email"):
        assert input_value(back.text, name) == LEGAL[name]
    assert checked(back.text, "long_term")
    again = await browser.submit(back, "/register/legal", **LEGAL, captcha=TEST_ANSWER)
    assert 'action="/register/legal/user"' in again.text


async def test_a_credit_code_registered_meanwhile_is_refused_at_confirmation(put, browser):
    """Two browsers pass 开始认证 for one enterprise; the second 确认注册 hits the unique constraint."""
    first = await legal_step_one(browser)
    other = Browser(put)
    try:
        assert "注册成功" in (await register_legal(other, username="other_name")).text
    finally:
        await other.aclose()
    page = await browser.submit(first, "/register/legal/user", step="confirm", **CREDENTIALS)
    assert alert(page.text) == text("credit_code.exists") and 'href="/recovery"' in page.text
    assert await count(put, Account, LEGAL_ACCOUNTS) == 1
    assert (await flow_of(put, page)).state == "user"


async def test_parallel_registrations_of_one_credit_code_make_exactly_one_account(put):
    browsers = [Browser(put) for _ in range(4)]
    try:
        steps = [await legal_step_one(b) for b in browsers]
        pages = await asyncio.gather(*(
            b.submit(s, "/register/legal/user", step="confirm", **{**CREDENTIALS, "username": f"qiye_{i}"})
            for i, (b, s) in enumerate(zip(browsers, steps, strict=True))
        ))
    finally:
        for b in browsers:
            await b.aclose()
    assert sum("注册成功" in p.text for p in pages) == 1
    assert sorted(alert(p.text) for p in pages if "注册成功" not in p.text) == [text("credit_code.exists")] * 3
    assert await count(put, Account, LEGAL_ACCOUNTS) == 1


async def test_parallel_registrations_with_one_username_make_exactly_one_account(put):
    enterprises = [LEGAL, {"enterprise_name": "深圳市南山示例药房", "credit_code": "92440305PDY002429G", "name": "赵强",
                           "id_number": "440000200501011014", "valid_from": "2021-01-01", "valid_to": "2031-01-01",
                           "long_term": ""}]
    browsers = [Browser(put) for _ in enterprises]
    try:
        steps = [await legal_step_one(b, **e) for b, e in zip(browsers, enterprises, strict=True)]
        pages = await asyncio.gather(*(b.submit(s, "/register/legal/user", step="confirm", **CREDENTIALS)
                                       for b, s in zip(browsers, steps, strict=True)))
    finally:
        for b in browsers:
            await b.aclose()
    assert sorted(alert(p.text) or "" for p in pages) == ["", text("registration.username_exists")]
    assert await count(put, Account, Account.username == "shili_qiye") == 1


async def test_a_double_submit_of_confirmation_creates_one_account(put, browser):
    user_step = await legal_step_one(browser)
    await browser.submit(user_step, "/register/legal/user", step="confirm", **CREDENTIALS)
    replay = await browser.submit(user_step, "/register/legal/user", step="confirm",
                                  **{**CREDENTIALS, "username": "another_name"})
    assert "页面已过期" in replay.text
    assert await count(put, Account, LEGAL_ACCOUNTS) == 1


async def test_the_flow_is_bound_to_its_browser_and_csrf_token(put, browser):
    form = await browser.go("/register/legal")
    forged = await browser.submit(form, "/register/legal", **LEGAL, captcha=TEST_ANSWER, csrf_token="forged")
    assert forged.status_code == 403
    stranger = Browser(put)
    try:
        stolen = await stranger.submit(form, "/register/legal", **LEGAL, captcha=TEST_ANSWER)
        nul = await stranger.go("/register/legal?flow=%00abc")
    finally:
        await stranger.aclose()
    assert "页面已过期" in stolen.text and "页面已过期" in nul.text
    assert (await flow_of(put, form)).state == "enterprise"
    assert not await events(put, "registration.legal.verified")


async def test_the_success_page_belongs_to_the_browser_that_registered(put, browser):
    done = await register_legal(browser)
    stranger = Browser(put)
    try:
        seen = await stranger.go(str(done.url))
    finally:
        await stranger.aclose()
    assert "注册成功" not in seen.text and "页面已过期" in seen.text


class ClosedRegister(EnterpriseVerifier):
    """Stands in for an authority that knows no enterprise: plugged in by its dotted name."""

    async def verify(self, claim) -> bool:
        return False


async def test_the_enterprise_verifier_is_chosen_by_settings(database_url):
    async with running_portal(database_url, enterprise_verifier=f"{__name__}:ClosedRegister") as put:
        browser = Browser(put)
        try:
            page = await legal_step_one(browser)
        finally:
            await browser.aclose()
    assert alert(page.text) == text("registration.enterprise_failed")
