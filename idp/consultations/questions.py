"""What a question is made of: its categories, the askers' account types, the limits, and the
checking of a submitted 咨询 form (every problem reported at once, each under its field).

The labels are the guide's (seed 000, the 咨询 form); the form's field labels stay in the template.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from idp.errors import DomainError
from shared.identity import (
    ID_TYPES,
    InvalidIdentifier,
    validate_document_number,
    validate_email,
    validate_mobile,
)

PORTAL_NAME = "政务服务门户"  # 咨询系统类型 of a question about the portal itself (models.PORTAL)
# 问题分类
CATEGORIES = {"register": "注册", "login": "登录", "realname": "实名认证", "binding": "账号绑定",
              "unbinding": "解除绑定", "other": "其他"}
UNBINDING = "unbinding"  # the requests the binding administrators act on
# 咨询账号类型: the kind of portal account the question is about
ACCOUNT_TYPES = {"legal_person": "法人账号", "agent": "经办人账号", "personal": "个人账号",
                 "none": "尚未注册账号"}
TITLE_MAX = 100
DESCRIPTION_MAX = 500  # 问题描述 0/500 (seed 000)
NAME_MAX = 50


class InvalidQuestion(DomainError):
    """Field-level problems: ``errors`` maps a field to its DomainError, in form order."""

    def __init__(self, errors: dict[str, DomainError]):
        first = next(iter(errors.values()))
        super().__init__(first.message_id, **first.values)
        self.errors = errors


@dataclass(frozen=True)
class Question:
    """A checked question; ``system`` is a business system's client_id or ``portal``, checked
    against the catalogue by the caller (the domain does not know which systems exist)."""

    system: str
    category: str
    account_type: str
    title: str
    description: str
    name: str
    id_type: str
    id_number: str
    mobile: str
    email: str


def clean_text(value: str) -> str:
    """Trimmed, line ends as ``\\n``: a textarea's CR LF must not count twice against the 500
    characters the page's counter shows. No NFKC here: it would turn Chinese full-width
    punctuation (，。：) into ASCII in what the user wrote."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_name(value: str) -> str:
    """A person's name as registration takes it: NFKC (full-width letters to ASCII), trimmed."""
    return unicodedata.normalize("NFKC", value or "").strip()


def lookup_key(name: str, mobile: str, email: str) -> str:
    """What the lookup without login finds an asker's questions by: the checked, normalised values
    joined; the column (a blind index) stores its keyed digest, an indexed, fixed-size column instead
    of three wide ones, and equality with this value compares digests."""
    return "\x1f".join((clean_name(name), mobile, email.lower()))


class _Checker:
    def __init__(self, form: Mapping):
        self.form = form
        self.errors: dict[str, DomainError] = {}

    def raw(self, name: str) -> str:
        value = self.form.get(name)
        return value if isinstance(value, str) else ""

    def fail(self, field: str, message_id: str, **values) -> None:
        self.errors.setdefault(field, DomainError(message_id, **values))

    def text(self, field: str, label: str, max_len: int, clean=clean_text) -> str:
        value = clean(self.raw(field))
        if not value:
            self.fail(field, "consultation.required", label=label)
        elif len(value) > max_len:
            self.fail(field, "consultation.too_long", label=label, max=max_len)
        elif not value.replace("\n", "").replace("\t", " ").isprintable():
            self.fail(field, "consultation.unprintable", label=label)
        return value

    def choice(self, field: str, label: str, choices) -> str:
        value = self.raw(field)
        if value not in choices:
            self.fail(field, "consultation.choose", label=label)
        return value

    def identifier(self, field: str, label: str, validate) -> str:
        if not self.raw(field).strip():
            self.fail(field, "consultation.required", label=label)
            return ""
        try:
            return validate(self.raw(field))
        except InvalidIdentifier as exc:
            self.fail(field, exc.message_id)
            return ""


def parse_question(form: Mapping, systems: Mapping[str, str]) -> Question:
    """The posted form as a :class:`Question`, or :class:`InvalidQuestion` with every problem.
    ``systems``: the 咨询系统类型 choices (``portal`` and the business systems' client_ids)."""
    check = _Checker(form)
    system = check.choice("system", "咨询系统类型", systems)
    category = check.choice("category", "问题分类", CATEGORIES)
    account_type = check.choice("account_type", "咨询账号类型", ACCOUNT_TYPES)
    title = check.text("title", "问题标题", TITLE_MAX)
    description = check.text("description", "问题描述", DESCRIPTION_MAX)
    name = check.text("name", "咨询人", NAME_MAX, clean_name)
    id_type = check.choice("id_type", "咨询人证件类型", ID_TYPES)
    id_number = ""
    if id_type in ID_TYPES:
        id_number = check.identifier("id_number", "咨询人证件号码",
                                     lambda raw: validate_document_number(id_type, raw))
    elif not check.raw("id_number").strip():
        check.fail("id_number", "consultation.required", label="咨询人证件号码")
    mobile = check.identifier("mobile", "手机号", validate_mobile)
    email = check.identifier("email", "电子邮箱", validate_email)
    if check.errors:
        raise InvalidQuestion(check.errors)
    return Question(system, category, account_type, title, description, name, id_type, id_number, mobile, email)


@dataclass(frozen=True)
class Asker:
    """Who asks in the lookup without login: 咨询人, 手机号, 电子邮箱, checked as the form checked them."""

    name: str
    mobile: str
    email: str


def parse_asker(form: Mapping) -> Asker:
    check = _Checker(form)
    name = check.text("name", "咨询人", NAME_MAX, clean_name)
    mobile = check.identifier("mobile", "手机号", validate_mobile)
    email = check.identifier("email", "电子邮箱", validate_email)
    if check.errors:
        raise InvalidQuestion(check.errors)
    return Asker(name, mobile, email)
