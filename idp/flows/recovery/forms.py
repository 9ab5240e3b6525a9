"""Parsing the posted forms of 忘记密码 (the by-code step's forms are idp.flows.contact_forms).

Each parser returns a dataclass of normalised values or raises :class:`DomainError` naming the
first field that is wrong; nothing is looked up here.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from idp.errors import DomainError
from idp.flows.contact_forms import field, identified
from shared.identity import validate_citizen_id
from shared.passwords import validate_password

CITIZEN_ID = "居民身份证"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The interpunct in names of minority nationalities comes in several look-alikes.
NAME_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", "●": "·"})


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
    id_number = identified(validate_citizen_id, field(form, "id_number"))
    if not field(form, "valid_from").strip():
        raise DomainError("recovery.valid_from_required")
    valid_from = _date(field(form, "valid_from"))
    valid_to = _date(field(form, "valid_to")) if field(form, "valid_to").strip() else None
    if valid_to is not None and valid_to <= valid_from:
        raise DomainError("recovery.valid_to_order")
    return IdentityForm(name, id_number, valid_from, valid_to)


# --- 2 设置新密码 ----------------------------------------------------------------------


def parse_new_password(form, personal: tuple[str | None, ...]) -> str:
    """``personal``: the account's :attr:`~idp.accounts.models.Account.personal_data`."""
    password = field(form, "password")
    identified(lambda raw: validate_password(raw, personal), password)
    if field(form, "password_confirm") != password:
        raise DomainError("password.mismatch")
    return password
