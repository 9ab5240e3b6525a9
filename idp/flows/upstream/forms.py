"""The first-login forms: the existing account's password (关联), or the username and password
of the new account (创建账号). Nothing is looked up here."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from idp.errors import DomainError
from idp.flows.registration.forms import USERNAME
from shared.identity import InvalidIdentifier
from shared.passwords import validate_password


def field(form, name: str) -> str:
    return str(form.get(name) or "")


def parse_password(form) -> str:
    password = field(form, "password")
    if not password:
        raise DomainError("registration.required", label="密码")
    return password


@dataclass(frozen=True)
class NewAccount:
    username: str
    password: str  # never stored in the flow


def parse_new_account(form, personal_data: tuple[str | None, ...]) -> NewAccount:
    """The portal needs a username (a login name of its own) and a password (to log in while the
    upstream is down, and to remove the link later); ``personal_data`` may not be in the password."""
    username = unicodedata.normalize("NFKC", field(form, "username")).strip().lower()
    if not username:
        raise DomainError("registration.required", label="用户名")
    if not USERNAME.fullmatch(username):
        raise DomainError("registration.username_rule")
    password = field(form, "password")
    if not password:
        raise DomainError("registration.required", label="密码")
    try:
        validate_password(password, (username, *personal_data))
    except InvalidIdentifier as exc:
        raise DomainError(exc.message_id) from None
    if password != field(form, "password_confirm"):
        raise DomainError("password.mismatch")
    return NewAccount(username, password)
