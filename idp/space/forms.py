"""Parsing the 账号设置 forms into values; every refusal is a DomainError with a catalogue id,
shown on the same form."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from idp.accounts.display import mask_email, mask_mobile
from idp.errors import DomainError
from shared.identity import InvalidIdentifier, validate_email, validate_mobile
from shared.passwords import validate_password

CODE = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class Contact:
    """A contact detail the user may change by proving the new value with a code."""

    key: str  # mobile | email: the URL segment and the Account column
    label: str
    purpose: str  # idp.codes.store purpose, also the flow kind
    channel: str  # sms | email
    validate: Callable[[str], str]
    mask: Callable[[str | None], str]
    same_message: str
    changed_message: str


CONTACTS = {
    "mobile": Contact("mobile", "手机号", "change_mobile", "sms", validate_mobile, mask_mobile,
                      "settings.mobile_same", "settings.mobile_changed"),
    "email": Contact("email", "电子邮箱", "change_email", "email", validate_email, mask_email,
                     "settings.email_same", "settings.email_changed"),
}


@dataclass(frozen=True)
class PasswordChange:
    old_password: str
    new_password: str


def _field(form, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def parse_password_change(form, personal: tuple[str | None, ...]) -> PasswordChange:
    """``personal``: the account's :attr:`~idp.accounts.models.Account.personal_data`."""
    old = _field(form, "old_password")
    new = _field(form, "new_password")
    if not old:
        raise DomainError("settings.old_password_required")
    try:
        validate_password(new, personal)
    except InvalidIdentifier as exc:
        raise DomainError(exc.message_id) from None
    if new != _field(form, "confirm_password"):
        raise DomainError("password.mismatch")
    if new == old:
        raise DomainError("settings.password_same")
    return PasswordChange(old, new)


def parse_new_contact(contact: Contact, form, current: str | None) -> str:
    """The new value, normalised (e.g. +86 and spaces dropped from a mobile)."""
    try:
        value = contact.validate(_field(form, contact.key))
    except InvalidIdentifier as exc:
        raise DomainError(exc.message_id) from None
    if current is not None and value.lower() == current.lower():
        raise DomainError(contact.same_message)
    return value


def parse_current_password(form) -> str:
    """The re-authentication of a contact change; checked only after the new value parses, so
    a typo in the address costs no login attempt."""
    password = _field(form, "current_password")
    if not password:
        raise DomainError("settings.current_password_required")
    return password


def parse_code(form) -> str:
    code = _field(form, "code").strip()
    if not CODE.fullmatch(code):
        raise DomainError("settings.code_format")
    return code
