"""Parsing the posted forms of 忘记密码 (and of 用户解锁, which shares the by-code step).

Each parser returns a dataclass of normalised values or raises :class:`DomainError` naming the
first field that is wrong; nothing is looked up here.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from idp.errors import DomainError
from shared.identity import InvalidIdentifier, validate_citizen_id, validate_email, validate_mobile
from shared.passwords import validate_password

CITIZEN_ID = "居民身份证"
CHANNELS = {"sms": "手机号", "email": "邮箱"}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CODE = re.compile(r"\d{6}")
# The interpunct in names of minority nationalities comes in several look-alikes.
NAME_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", "●": "·"})


def field(form, name: str) -> str:
    return str(form.get(name) or "")


def _identified(validator, raw: str) -> str:
    try:
        return validator(raw)
    except InvalidIdentifier as exc:
        raise DomainError(exc.message_id) from None


def normalise_name(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().translate(NAME_DOTS)


# --- 1 信息验证, by identity data -------------------------------------------------------


@dataclass(frozen=True)
class IdentityForm:
    name: str
    id_number: str  # 18 digits; a 15-digit number is converted (GB 11643)
    valid_from: dt.date
    valid_to: dt.date | None  # None: 长期 ("无需再选择结束时间")


def _date(raw: str) -> dt.date:
    value = unicodedata.normalize("NFKC", raw).strip()
    if not DATE.fullmatch(value):
        raise DomainError("recovery.valid_date_format")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError("recovery.valid_date_format") from None


def parse_identity(form) -> IdentityForm:
    if field(form, "id_type") != CITIZEN_ID:
        raise DomainError("recovery.id_type")
    name = normalise_name(field(form, "name"))
    if not name:
        raise DomainError("recovery.name_required")
    if not field(form, "id_number").strip():
        raise DomainError("recovery.id_number_required")
    id_number = _identified(validate_citizen_id, field(form, "id_number"))
    if not field(form, "valid_from").strip():
        raise DomainError("recovery.valid_from_required")
    valid_from = _date(field(form, "valid_from"))
    valid_to = _date(field(form, "valid_to")) if field(form, "valid_to").strip() else None
    if valid_to is not None and valid_to <= valid_from:
        raise DomainError("recovery.valid_to_order")
    return IdentityForm(name, id_number, valid_from, valid_to)


# --- 1 信息验证, by a code (原找回密码方式; also 用户解锁) -------------------------------------


@dataclass(frozen=True)
class ContactForm:
    login: str  # 用户名、手机号码或身份证号, as typed (trimmed)
    channel: str  # sms | email
    destination: str  # the mobile or e-mail, normalised


def parse_contact(form) -> ContactForm:
    login = unicodedata.normalize("NFKC", field(form, "username")).strip()
    if not login:
        raise DomainError("contact.login_required")
    channel = field(form, "channel")
    if channel not in CHANNELS:
        raise DomainError("contact.channel_required")
    raw = field(form, "destination")
    if not raw.strip():
        raise DomainError("contact.destination_required")
    destination = _identified(validate_mobile if channel == "sms" else validate_email, raw)
    return ContactForm(login, channel, destination)


def parse_code(form) -> str:
    code = unicodedata.normalize("NFKC", field(form, "code")).strip()
    if not code:
        raise DomainError("code.required")
    if not CODE.fullmatch(code):
        raise DomainError("code.format")
    return code


def parse_captcha(form) -> tuple[str, str]:
    answer = field(form, "captcha").strip()
    if not answer:
        raise DomainError("captcha.required")
    return field(form, "captcha_id"), answer


# --- 2 设置新密码 ----------------------------------------------------------------------


def parse_new_password(form, personal: tuple[str | None, ...]) -> str:
    """``personal``: the account's :attr:`~idp.accounts.models.Account.personal_data`."""
    password = field(form, "password")
    _identified(lambda raw: validate_password(raw, personal), password)
    if field(form, "password_confirm") != password:
        raise DomainError("password.mismatch")
    return password
