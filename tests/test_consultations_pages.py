"""咨询 over HTTP: the form at /problem?ssywxt=…, filing logged out and logged in, bad input
refused on the same form with nothing stored, the confirmation, the lookup without login (three
months, filed without login only, one answer for no match and wrong data), 我的互动 → 在线办事反馈,
and the rate limits per source address."""
from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import select

from idp.captcha.providers import TEST_ANSWER
from idp.consultations.models import Consultation
from idp.consultations.transitions import answer_consultation
from tests.support.authz import Clock
from tests.support.consultations import ASKER, FORM, file_question
from tests.support.portal import Browser, hidden_fields, running_portal
from tests.support.space import alert, signed_in

REFERENCE = re.compile(r'<strong id="reference">(ZX\d{14})</strong>')
SELECT = re.compile(r'<select id="(\w+)" name="\w+"[^>]*>(.*?)</select>', re.S)
SELECTED = re.compile(r'<option value="([^"]*)" selected>')
FIELD_ERROR = re.compile(r'<p class="error field-error" id="(\w+)-error">([^<]*)</p>')
LOOKUP_NOTE = "本界面仅供查询近3个月的未登录状态下的问题回复"


@pytest.fixture
async def visitor(put):
    browser = Browser(put)
    yield browser
    await browser.aclose()


def selected(html: str) -> dict[str, str]:
    """select id → its selected option's value (only selects with one selected)."""
    return {name: found.group(1) for name, options in SELECT.findall(html) if (found := SELECTED.search(options))}


def field_errors(html: str) -> dict[str, str]:
    return {field: unescape(message) for field, message in FIELD_ERROR.findall(html)}


async def stored(put) -> list[Consultation]:
    async with put.portal.sessionmaker() as db:
        return list((await db.scalars(select(Consultation).order_by(Consultation.id))).all())


async def ask(browser: Browser, ssywxt: str = "ZWFW", **changes):
    page = await browser.go(f"/problem?ssywxt={ssywxt}")
    assert page.status_code == 200, page.text[:300]
    return await browser.submit(page, "/problem", **{**FORM, "captcha": TEST_ANSWER, **changes})


async def test_the_form_shows_the_tips_and_preselects_the_system(visitor):
    page = await visitor.go("/problem?ssywxt=ZWFw")
    assert "温馨提示" in page.text and "问题咨询反馈时间一般为2个工作日。" in page.text
    assert "仅用于政务服务门户注册、登录、业务系统绑定等用户账号相关问题" in page.text
    assert selected(page.text)["system"] == "portal"
    assert selected((await visitor.go("/problem?ssywxt=UDI")).text)["system"] == "udi"
    assert selected((await visitor.go("/problem?ssywxt=nonsense")).text)["system"] == "portal"
    # The binding page's 申请解除 asks for 解除绑定; an unknown category preselects nothing.
    assert selected((await visitor.go("/problem?ssywxt=ZWFW&category=unbinding")).text)["category"] == "unbinding"
    assert "category" not in selected((await visitor.go("/problem?ssywxt=ZWFW&category=nonsense")).text)
    assert '<script src="/static/consultations.js"></script>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_a_question_filed_logged_out_gets_a_reference_and_the_two_working_days(put, visitor):
    done = await ask(visitor)
    assert done.status_code == 200 and str(done.url).startswith("https://op.example.test/problem/done?flow=")
    reference = REFERENCE.search(done.text).group(1)
    assert "您的咨询将在两个工作日内回复" in done.text and "在线办事反馈查询界面" in done.text
    [row] = await stored(put)
    assert (row.reference, row.account_id, row.status, row.system) == (reference, None, "open", "portal")
    assert row.description == FORM["description"]


async def test_a_double_submit_files_one_question(put, visitor):
    page = await visitor.go("/problem?ssywxt=ZWFW")
    first = await visitor.submit(page, "/problem", **FORM, captcha=TEST_ANSWER)
    assert first.status_code == 200
    again = await visitor.submit(page, "/problem", **FORM, captcha=TEST_ANSWER)
    assert again.status_code in (400, 409) and len(await stored(put)) == 1


async def test_signed_in_the_form_is_prefilled_and_the_question_tied_to_the_account(put):
    browser = await signed_in(put, put.account)
    try:
        page = await browser.go("/problem?ssywxt=ZWFW")
        assert 'value="张三"' in page.text and 'value="110000198506120133"' in page.text
        assert selected(page.text)["account_type"] == "personal" and selected(page.text)["id_type"] == "居民身份证"
        # what the browser posts: the prefilled fields as shown, the rest typed
        done = await browser.submit(page, "/problem", system="portal", category="login", account_type="personal",
                                    title="登录失败", description="个人登录提示用户名或密码错误。", name="张三",
                                    id_type="居民身份证", id_number="110000198506120133", mobile="13800138000",
                                    email="zs@example.com", captcha=TEST_ANSWER)
        assert REFERENCE.search(done.text) and "我的互动—在线办事反馈" in done.text
        [row] = await stored(put)
        assert row.account_id == put.account.id and row.name == "张三" and row.mobile == "13800138000"
        listing = await browser.go("/space/feedback")
        assert row.reference in listing.text and "待回复" in listing.text and "登录失败" in listing.text
        assert 'id="menu-feedback"' in listing.text
    finally:
        await browser.aclose()


async def test_501_characters_are_refused_and_nothing_is_stored(put, visitor):
    refused = await ask(visitor, description="问" * 501)
    assert refused.status_code == 400
    assert alert(refused.text) == "提交失败，请按提示修改后重新提交。"
    assert field_errors(refused.text) == {"description": "问题描述不能超过500个字符"}
    assert "问" * 501 in refused.text  # kept for the user to shorten
    assert await stored(put) == []
    done = await ask(visitor, description="问" * 500)
    assert done.status_code == 200 and len(await stored(put)) == 1


async def test_bad_input_is_refused_field_by_field(put, visitor):
    refused = await ask(visitor, category="", title="", id_number="110101199003070012", mobile="1380013800",
                        email="wxm@", captcha="WRONG")
    assert refused.status_code == 400
    assert field_errors(refused.text) == {
        "category": "请选择问题分类", "title": "请输入问题标题", "id_number": "证件号码校验位不正确，请核对后重新输入",
        "mobile": "手机号码格式不正确，请输入11位手机号码", "email": "电子邮箱格式不正确",
        "captcha": "图形验证码错误，请重新输入",
    }
    assert await stored(put) == []


async def test_control_characters_are_refused_not_stored(put, visitor):
    refused = await ask(visitor, title="标题\x00", description="描述\x07", name="王\x00小明")
    assert refused.status_code == 400 and set(field_errors(refused.text)) == {"title", "description", "name"}
    assert await stored(put) == []


async def test_a_file_in_place_of_a_text_field_is_refused_not_a_crash(put, visitor):
    page = await visitor.go("/problem?ssywxt=ZWFW")
    fields = {**hidden_fields(page.text), **FORM, "captcha": TEST_ANSWER}
    del fields["description"]
    refused = await visitor.client.post("/problem", data=fields, files={"description": ("x.txt", b"x", "text/plain")})
    assert refused.status_code == 400 and "description" in field_errors(refused.text) and await stored(put) == []


async def test_a_wrong_captcha_alone_refuses_the_question(put, visitor):
    refused = await ask(visitor, captcha="NOPE")
    assert field_errors(refused.text) == {"captcha": "图形验证码错误，请重新输入"} and await stored(put) == []


async def test_a_forged_form_is_refused(put, visitor):
    page = await visitor.go("/problem?ssywxt=ZWFW")
    refused = await visitor.submit(page, "/problem", **FORM, captcha=TEST_ANSWER, csrf_token="forged")
    assert refused.status_code == 403 and await stored(put) == []


async def test_filing_is_rate_limited_per_address(database_url):
    async with running_portal(database_url, consultations_per_address=2) as put:
        browser = Browser(put)
        try:
            for _ in range(2):
                assert (await ask(browser)).status_code == 200
            refused = await ask(browser)
            assert refused.status_code == 429 and "提交过于频繁" in alert(refused.text)
            assert 0 < int(refused.headers["Retry-After"]) <= put.settings.consultation_window_seconds
            assert len(await stored(put)) == 2
        finally:
            await browser.aclose()


# --- the lookup without login -----------------------------------------------------------


async def look_up(browser: Browser, **changes):
    page = await browser.go("/problem/query")
    assert LOOKUP_NOTE in page.text
    return await browser.submit(page, "/problem/query", **{**ASKER, "captcha": TEST_ANSWER, **changes})


async def test_the_lookup_shows_recent_answers_and_hides_a_four_month_old_question(put, visitor, monkeypatch):
    clock = Clock(monkeypatch)
    old = await file_question(put, title="四个月前的问题")
    clock.advance(dt.timedelta(days=122).total_seconds())
    recent = await file_question(put, title="最近的问题")
    async with put.portal.sessionmaker.begin() as db:
        await answer_consultation(db, recent.id, staff="helpdesk1", text="请通过忘记密码找回原账号。")
    await file_question(put, account_id=put.account.id, title="登录后提交的问题")
    found = await look_up(visitor)
    assert found.status_code == 200
    assert recent.reference in found.text and "请通过忘记密码找回原账号。" in found.text and "已回复" in found.text
    assert old.reference not in found.text and "登录后提交的问题" not in found.text


async def test_no_match_and_wrong_data_read_the_same(put, visitor):
    await file_question(put)
    wrong = await look_up(visitor, email="someone@example.com")
    nobody = await look_up(visitor, name="李四", mobile="13700000000", email="ls@example.com")

    def results(html: str) -> str:
        return html[html.index('<section class="card consult" id="results">'):]

    assert 'id="nothing-found"' in wrong.text and results(wrong.text) == results(nobody.text)


async def test_the_lookup_checks_its_fields_and_captcha(put, visitor):
    await file_question(put)
    refused = await look_up(visitor, mobile="", captcha="NOPE")
    assert field_errors(refused.text) == {"mobile": "请输入手机号", "captcha": "图形验证码错误，请重新输入"}
    assert 'id="results"' not in refused.text


async def test_lookups_are_rate_limited_per_address(database_url):
    async with running_portal(database_url, consultation_lookups_per_address=3) as put:
        browser = Browser(put)
        try:
            for _ in range(3):
                assert (await look_up(browser, captcha="WRONG")).status_code == 400  # wrong attempts count too
            refused = await look_up(browser)
            assert refused.status_code == 429 and "查询过于频繁" in alert(refused.text)
            assert 0 < int(refused.headers["Retry-After"]) <= put.settings.consultation_lookup_window_seconds
            assert 'id="results"' not in refused.text
        finally:
            await browser.aclose()


# --- 我的互动 → 在线办事反馈 ---------------------------------------------------------------


async def test_feedback_lists_only_the_accounts_own_questions_with_answers(put):
    mine = await file_question(put, account_id=put.account.id, title="我的问题")
    other = await put.add_account("lisi", account_type="personal", id_type="居民身份证",
                                  id_number="110101199003070011", realname_level=2)
    await file_question(put, account_id=other.id, title="别人的问题")
    await file_question(put, title="未登录的问题")
    async with put.portal.sessionmaker.begin() as db:
        await answer_consultation(db, mine.id, staff="helpdesk1", text="已处理。")
    browser = await signed_in(put, put.account)
    try:
        page = await browser.go("/space/feedback")
        assert "我的问题" in page.text and "已处理。" in page.text and "已回复" in page.text
        assert "别人的问题" not in page.text and "未登录的问题" not in page.text
    finally:
        await browser.aclose()


async def test_feedback_needs_a_login(visitor):
    response = await visitor.client.get("/space/feedback")
    assert response.status_code == 303 and response.headers["location"] == "/login"

