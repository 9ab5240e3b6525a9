"""The forms of the by-code step that 忘记密码 and 用户解锁 share: who (a login name) and where
(a registered mobile or e-mail) to send a code, the code, and the captcha.

Each parser returns normalised values or raises :class:`DomainError` naming the first field that
is wrong; nothing is looked up here.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from idp.errors import DomainError
from shared.identity import InvalidIdentifier, validate_email, validate_mobile

CHANNELS = {"sms": "手机号", "email": "邮箱"}
CODE = re.compile(r"\d{6}")


def field(form, name: str) -> str:
    return str(form.get(name) or "")


def identified(validator, raw: str) -> str:
    """A shared.identity validator's value, its refusal as the portal's DomainError."""
    try:
        return validator(raw)
    except InvalidIdentifier as exc:
        raise DomainError(exc.message_id) from None


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
    destination = identified(validate_mobile if channel == "sms" else validate_email, raw)
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
