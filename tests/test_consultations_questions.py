"""The 咨询 form's checks: every problem at once under its field, in the portal's words; values
normalised (full-width digits, 15-digit IDs, CR LF counted once against the 500 characters)."""
from __future__ import annotations

import pytest

from idp.consultations.questions import InvalidQuestion, parse_asker, parse_question
from tests.support.consultations import ASKER, FORM

SYSTEMS = {"portal": "政务服务门户", "udi": "医疗器械唯一标识管理信息系统"}


def test_a_complete_form_is_a_question():
    q = parse_question({**FORM, "mobile": "１３９１２３４５６７８", "email": "WXM@Example.COM"}, SYSTEMS)
    assert (q.system, q.category, q.mobile, q.email) == ("portal", "unbinding", "13912345678", "WXM@example.com")


def test_chinese_punctuation_stays_as_written():
    q = parse_question({**FORM, "title": "登录问题：无法登录", "description": "您好，我无法登录。"}, SYSTEMS)
    assert (q.title, q.description) == ("登录问题：无法登录", "您好，我无法登录。")


def test_a_15_digit_id_number_is_converted():
    assert parse_question({**FORM, "id_number": "110101900307001"}, SYSTEMS).id_number == "110101199003070011"


def test_500_characters_pass_and_crlf_counts_as_one():
    assert len(parse_question({**FORM, "description": "问" * 500}, SYSTEMS).description) == 500
    text = "问" * 249 + "\r\n" + "答" * 250
    assert len(parse_question({**FORM, "description": text}, SYSTEMS).description) == 500


def test_every_problem_is_reported_under_its_field():
    with pytest.raises(InvalidQuestion) as refused:
        parse_question({**FORM, "system": "nonsense", "category": "", "title": " ", "description": "问" * 501,
                        "id_number": "110101199003070012", "mobile": "1234", "email": "not-an-address"}, SYSTEMS)
    errors = {field: error.text() for field, error in refused.value.errors.items()}
    assert errors == {
        "system": "请选择咨询系统类型", "category": "请选择问题分类", "title": "请输入问题标题",
        "description": "问题描述不能超过500个字符", "id_number": "证件号码校验位不正确，请核对后重新输入",
        "mobile": "手机号码格式不正确，请输入11位手机号码", "email": "电子邮箱格式不正确",
    }


def test_a_missing_document_type_asks_for_it():
    with pytest.raises(InvalidQuestion) as refused:
        parse_question({**FORM, "id_type": "身份证件"}, SYSTEMS)
    assert refused.value.errors["id_type"].text() == "请选择咨询人证件类型"


def test_the_lookup_asks_for_all_three():
    assert parse_asker({**ASKER, "mobile": "+8613912345678"}).mobile == "13912345678"
    with pytest.raises(InvalidQuestion) as refused:
        parse_asker({"name": "", "mobile": "", "email": ""})
    assert set(refused.value.errors) == {"name", "mobile", "email"}
