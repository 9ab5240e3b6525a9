"""Parsing the registration forms (法人: 填写认证信息 and 创建用户; 个人: one form).

Every field is checked and every problem is reported at once, each under its field
(:class:`InvalidForm`); values come back normalised. Nothing is looked up here.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from idp import clock
from idp.errors import DomainError
from shared.identity import (  # the document types are shared with 咨询's form
    CITIZEN_ID,
    ID_TYPES,
    OTHER_DOCUMENT,
    RESIDENCE_PERMITS,
    InvalidIdentifier,
    normalise,
    validate_citizen_id,
    validate_credit_code,
    validate_email,
    validate_mobile,
)
from shared.passwords import validate_password

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # the guide: “请按照xxxx-xx-xx格式输入”
# Starts with a letter, so a username never looks like a mobile or ID number (个人登录 takes all three).
USERNAME = re.compile(r"[a-z][a-z0-9_]{3,19}")
NAME_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", "●": "·"})  # 少数民族姓名 interpuncts
CHINA = dt.timezone(dt.timedelta(hours=8))


class InvalidForm(DomainError):
    """Field-level problems: ``errors`` maps a field to its DomainError, in form order."""

    def __init__(self, errors: dict[str, DomainError]):
        first = next(iter(errors.values()))
        super().__init__(first.message_id, **first.values)
        self.errors = errors


def today() -> dt.date:
    return clock.now().astimezone(CHINA).date()


class Checker:
    """Collects the problems of one posted form."""

    def __init__(self, form):
        self.form = form
        self.errors: dict[str, DomainError] = {}

    def raw(self, name: str) -> str:
        return str(self.form.get(name) or "")

    def fail(self, field: str, message_id: str, **values) -> None:
        self.errors.setdefault(field, DomainError(message_id, **values))

    def text(self, field: str, label: str, max_len: int) -> str:
        value = unicodedata.normalize("NFKC", self.raw(field)).strip()
        if not value:
            self.fail(field, "registration.required", label=label)
        elif len(value) > max_len:
            self.fail(field, "registration.too_long", label=label, max=max_len)
        elif not value.isprintable():
            self.fail(field, "registration.name_format", label=label)
        return value

    def identifier(self, field: str, label: str, validate):
        if not self.raw(field).strip():
            self.fail(field, "registration.required", label=label)
            return None
        try:
            return validate(self.raw(field))
        except InvalidIdentifier as exc:
            self.fail(field, exc.message_id)
            return None

    def date(self, field: str) -> dt.date | None:
        value = unicodedata.normalize("NFKC", self.raw(field)).strip()
        try:
            if DATE.fullmatch(value):
                return dt.date.fromisoformat(value)
        except ValueError:
            pass
        self.fail(field, "registration.date_format")
        return None

    def finish(self) -> None:
        if self.errors:
            raise InvalidForm(self.errors)


# --- the parts ------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityDocument:
    id_type: str
    id_number: str  # a 居民身份证 number in its 18-character form
    id_number_original: str | None  # a 15-digit number as typed (normalised), else None
    valid_from: dt.date
    valid_to: dt.date | None  # None: 长期
    long_term: bool

    def account_fields(self) -> dict:
        return {"id_type": self.id_type, "id_number": self.id_number, "id_number_original": self.id_number_original,
                "id_valid_from": self.valid_from, "id_valid_to": self.valid_to, "id_long_term": self.long_term}

    def as_data(self) -> dict:
        return {"id_type": self.id_type, "id_number": self.id_number, "id_number_original": self.id_number_original,
                "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to.isoformat() if self.valid_to else None, "long_term": self.long_term}

    @classmethod
    def from_data(cls, data: dict) -> IdentityDocument:
        return cls(data["id_type"], data["id_number"], data["id_number_original"],
                   dt.date.fromisoformat(data["valid_from"]),
                   dt.date.fromisoformat(data["valid_to"]) if data["valid_to"] else None, data["long_term"])


def _document_number(check: Checker, id_type: str) -> tuple[str | None, str | None]:
    """(the number to store, the 15-digit original) for the chosen document type."""
    raw = check.raw("id_number")
    if id_type == CITIZEN_ID:
        number = check.identifier("id_number", "证件号码", validate_citizen_id)
        return number, (normalise(raw) if number and len(normalise(raw)) == 15 else None)
    if not raw.strip():
        check.fail("id_number", "registration.required", label="证件号码")
        return None, None
    value = normalise(raw)
    if id_type in RESIDENCE_PERMITS:
        if len(value) != 18:  # no 15-digit residence permits exist
            check.fail("id_number", "registration.id_number_format")
            return None, None
        number = check.identifier("id_number", "证件号码", validate_citizen_id)
        if number and not number.startswith(RESIDENCE_PERMITS[id_type]):
            check.fail("id_number", "registration.residence_permit_region")
            return None, None
        return number, None
    if not OTHER_DOCUMENT.fullmatch(value):
        check.fail("id_number", "registration.id_number_format")
        return None, None
    return value, None


def _validity(check: Checker) -> tuple[dt.date | None, dt.date | None, bool]:
    """证件有效期: start, and end or 长期 (“若您的身份证结束时间长期有效，无需再选择结束时间”)."""
    long_term = check.raw("long_term") in ("1", "on", "true")
    valid_from = valid_to = None
    if not check.raw("valid_from").strip():
        check.fail("valid_from", "registration.choose", label="证件有效期开始时间")
    elif (valid_from := check.date("valid_from")) and valid_from > today():
        check.fail("valid_from", "registration.valid_from_future")
    has_end = bool(check.raw("valid_to").strip())
    if long_term and has_end:
        check.fail("valid_to", "registration.valid_to_and_long_term")
    elif not long_term and not has_end:
        check.fail("valid_to", "registration.valid_to_required")
    elif not long_term and (valid_to := check.date("valid_to")):
        if valid_from and valid_to <= valid_from:
            check.fail("valid_to", "registration.valid_to_order")
        elif valid_to < today():
            check.fail("valid_to", "registration.expired")
    return valid_from, valid_to, long_term


def _person(check: Checker, name_label: str) -> tuple[str, IdentityDocument | None]:
    name = check.text("name", name_label, 50).translate(NAME_DOTS)
    id_type = check.raw("id_type")
    if id_type not in ID_TYPES:
        check.fail("id_type", "registration.choose", label="证件类型")
        if not check.raw("id_number").strip():
            check.fail("id_number", "registration.required", label="证件号码")
        id_number = original = None
    else:
        id_number, original = _document_number(check, id_type)
    valid_from, valid_to, long_term = _validity(check)
    if id_number is None or valid_from is None or (valid_to is None and not long_term):
        return name, None
    return name, IdentityDocument(id_type, id_number, original, valid_from, valid_to, long_term)


def _contact(check: Checker) -> tuple[str | None, str | None]:
    return (check.identifier("mobile", "手机号", validate_mobile),
            check.identifier("email", "电子邮箱", validate_email))


def _credentials(check: Checker, personal: tuple[str | None, ...]) -> tuple[str, str]:
    """``personal``: the name, mobile and ID number given with them (the password may not use them)."""
    username = unicodedata.normalize("NFKC", check.raw("username")).strip().lower()
    if not username:
        check.fail("username", "registration.required", label="用户名")
    elif not USERNAME.fullmatch(username):
        check.fail("username", "registration.username_rule")
    password = check.raw("password")
    if not password:
        check.fail("password", "registration.required", label="密码")
    elif check.identifier("password", "密码", lambda raw: validate_password(raw, (username, *personal))) is not None \
            and password != check.raw("password_confirm"):
        check.fail("password_confirm", "password.mismatch")
    return username, password


# --- the forms ------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseForm:
    """法人 step 1 (填写认证信息); ``name`` and ``document`` are the legal representative's."""

    enterprise_name: str
    credit_code: str
    credit_code_warnings: tuple[str, ...]
    name: str
    document: IdentityDocument
    mobile: str
    email: str

    def as_data(self) -> dict:
        return {"enterprise_name": self.enterprise_name, "credit_code": self.credit_code,
                "credit_code_warnings": list(self.credit_code_warnings), "name": self.name,
                "document": self.document.as_data(), "mobile": self.mobile, "email": self.email}

    @classmethod
    def from_data(cls, data: dict) -> EnterpriseForm:
        return cls(data["enterprise_name"], data["credit_code"], tuple(data["credit_code_warnings"]), data["name"],
                   IdentityDocument.from_data(data["document"]), data["mobile"], data["email"])


@dataclass(frozen=True)
class Credentials:
    """法人 step 2 (创建用户); the password is never stored in the flow."""

    username: str
    password: str


@dataclass(frozen=True)
class PersonForm:
    name: str
    document: IdentityDocument
    mobile: str
    email: str
    credentials: Credentials


def parse_enterprise(form, captcha_error: DomainError | None = None) -> EnterpriseForm:
    check = Checker(form)
    enterprise_name = check.text("enterprise_name", "企业名称", 100)
    code = check.identifier("credit_code", "统一社会信用代码", validate_credit_code)
    name, document = _person(check, "法定代表人姓名")
    mobile, email = _contact(check)
    if captcha_error:
        check.errors.setdefault("captcha", captcha_error)
    check.finish()
    assert document is not None and mobile is not None and email is not None  # finish() raised otherwise
    return EnterpriseForm(enterprise_name, code.value, code.warnings, name, document, mobile, email)


def parse_credentials(form, enterprise: EnterpriseForm) -> Credentials:
    check = Checker(form)
    document = enterprise.document
    username, password = _credentials(check, (enterprise.name, enterprise.mobile, document.id_number,
                                              document.id_number_original, enterprise.credit_code))
    check.finish()
    return Credentials(username, password)


def parse_person(form, captcha_error: DomainError | None = None) -> PersonForm:
    check = Checker(form)
    name, document = _person(check, "姓名")
    mobile, email = _contact(check)
    username, password = _credentials(check, (name, mobile, document.id_number if document else None,
                                              document.id_number_original if document else None))
    if captcha_error:
        check.errors.setdefault("captcha", captcha_error)
    check.finish()
    assert document is not None and mobile is not None and email is not None  # finish() raised otherwise
    return PersonForm(name, document, mobile, email, Credentials(username, password))
