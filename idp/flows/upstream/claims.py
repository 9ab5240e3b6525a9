"""What the upstream vouches for, in our terms: IDP_UPSTREAM_CLAIMS names the upstream claim (a
dotted path into UserInfo) of each of our fields, IDP_UPSTREAM_LEVELS maps its real-name levels
to ours. A value that fails our own rules (an ID number's check digit, a credit code's) is
treated as not given: the portal never stores what it would refuse from a user."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from idp.settings import Settings
from shared.identity import (
    InvalidIdentifier,
    validate_citizen_id,
    validate_credit_code,
    validate_email,
    validate_mobile,
)

CITIZEN_ID = "居民身份证"


@dataclass(frozen=True)
class Vouched:
    name: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    id_valid_from: str | None = None  # ISO dates: the flow stores them as JSON
    id_valid_to: str | None = None
    mobile: str | None = None
    mobile_verified: bool = False  # the upstream says the person proved it
    email: str | None = None
    email_verified: bool = False
    realname_level: int = 0
    enterprise_name: str | None = None
    credit_code: str | None = None

    def as_data(self) -> dict:
        return asdict(self)

    @property
    def has_person(self) -> bool:
        return bool(self.name and self.id_number)

    @property
    def has_enterprise(self) -> bool:
        return bool(self.enterprise_name and self.credit_code and self.name)


def _at(claims: dict, path: str):
    value: object = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _checked(validator, value) -> str | None:
    try:
        return validator(value) if isinstance(value, str) and value else None
    except InvalidIdentifier:
        return None


def _text(value, max_len: int) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip().isprintable() and len(value) <= max_len else None


def _date(value) -> str | None:
    try:
        return dt.date.fromisoformat(value).isoformat() if isinstance(value, str) else None
    except ValueError:
        return None


def vouched(settings: Settings, claims: dict) -> Vouched:
    def claim(field: str):
        path = settings.upstream_claims.get(field)
        return _at(claims, path) if path else None

    id_type = _text(claim("id_type"), 32) or CITIZEN_ID
    level = claim("realname_level")
    return Vouched(
        name=_text(claim("name"), 100), id_type=id_type,
        # Only a 居民身份证 number can be checked here; another document's number is not used to link.
        id_number=_checked(validate_citizen_id, claim("id_number")) if id_type == CITIZEN_ID else None,
        id_valid_from=_date(claim("id_valid_from")), id_valid_to=_date(claim("id_valid_to")),
        mobile=_checked(validate_mobile, claim("mobile")), mobile_verified=claim("mobile_verified") is True,
        email=_checked(validate_email, claim("email")), email_verified=claim("email_verified") is True,
        realname_level=settings.upstream_levels.get(str(level), 0) if level is not None else 0,
        enterprise_name=_text(claim("enterprise_name"), 200),
        credit_code=getattr(_checked(validate_credit_code, claim("credit_code")), "value", None),
    )
