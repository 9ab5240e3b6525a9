"""Chinese identity numbers and contact details.

- 统一社会信用代码: GB 32100-2015 (mod-31 check), with the embedded GB 11714-1997 organisation
  code checked as a warning only (some early pilot codes fail it and are legal).
- 公民身份号码: GB 11643-1999 (ISO 7064 MOD 11-2), 15-digit legacy numbers converted to 18.
- Mobile numbers and e-mail addresses.
- The identity documents the portal accepts (证件类型) and their numbers.

Every validator normalises first (trim, drop spaces and hyphens, full-width to ASCII,
upper-case) and returns the normalised value, or raises :class:`InvalidIdentifier` with a
message id from :mod:`shared.messages`.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from shared.refusals import Refusal

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_VALUES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# GB/T 2260 province-level codes (first two digits of a citizen ID), incl. 71/81/82 and 83 (台湾居民居住证).
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83",
}
MOBILE = re.compile(r"^1[3-9]\d{9}$")
EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


CITIZEN_ID = "居民身份证"
# The document types the portal offers (GA/T 517 names). Residence permits of 港澳台 residents
# carry GB 11643 numbers with the address codes 810000/820000 (港澳) and 830000 (台湾).
ID_TYPES = (CITIZEN_ID, "港澳居民居住证", "台湾居民居住证", "港澳居民来往内地通行证", "台湾居民来往大陆通行证",
            "外国人永久居留身份证", "护照")
RESIDENCE_PERMITS = {"港澳居民居住证": ("810000", "820000"), "台湾居民居住证": ("830000",)}
OTHER_DOCUMENT = re.compile(r"[A-Z0-9]{5,20}")


class InvalidIdentifier(Refusal, ValueError):
    """An identifier failed its standard's rule; ``message_id`` says which, in the catalogue's words."""


def normalise(value: str) -> str:
    value = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s\-]", "", value).upper()


# --- 统一社会信用代码 -------------------------------------------------------------------


@dataclass(frozen=True)
class CreditCode:
    value: str
    warnings: tuple[str, ...] = ()


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    total = sum(ORG_VALUES.index(c) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_credit_code(raw: str) -> CreditCode:
    value = normalise(raw)
    if len(value) != 18 or any(c not in USCC_CHARSET for c in value) or not value[2:8].isdigit():
        raise InvalidIdentifier("credit_code.format")
    if uscc_check_char(value[:17]) != value[17]:
        raise InvalidIdentifier("credit_code.check")
    warnings: tuple[str, ...] = ()
    if org_code_check_char(value[8:16]) != value[16]:
        warnings = ("credit_code.org_code_check",)
    return CreditCode(value, warnings)


# --- 公民身份号码 ---------------------------------------------------------------------


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def _birth_date(text: str) -> dt.date:
    try:
        born = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise InvalidIdentifier("id_number.birth_date") from None
    if born > dt.date.today():
        raise InvalidIdentifier("id_number.birth_date")
    return born


def validate_citizen_id(raw: str) -> str:
    """An 18-character 居民身份证 number, or a 15-digit legacy one converted to 18."""
    value = normalise(raw)
    if len(value) == 15:
        return convert_15_to_18(value)
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidIdentifier("id_number.format")
    if value[:2] not in PROVINCES:
        raise InvalidIdentifier("id_number.region")
    _birth_date(value[6:14])
    if id_check_char(value[:17]) != value[17]:
        raise InvalidIdentifier("id_number.check")
    return value


def convert_15_to_18(value15: str) -> str:
    """GB 11643: insert the century 19 after the address code and append the check character."""
    value15 = normalise(value15)
    if len(value15) != 15 or not value15.isdigit():
        raise InvalidIdentifier("id_number.format")
    if value15[:2] not in PROVINCES:
        raise InvalidIdentifier("id_number.region")
    body = value15[:6] + "19" + value15[6:]
    _birth_date(body[6:14])
    return body + id_check_char(body)


# --- contact details ------------------------------------------------------------------


def validate_mobile(raw: str) -> str:
    value = normalise(raw)
    for prefix in ("+86", "0086", "86"):
        if value.startswith(prefix) and len(value) == 11 + len(prefix):
            value = value[len(prefix):]
            break
    if not MOBILE.match(value):
        raise InvalidIdentifier("mobile.format")
    return value


def validate_email(raw: str) -> str:
    value = unicodedata.normalize("NFKC", raw or "").strip()
    if len(value) > 254 or not EMAIL.match(value):
        raise InvalidIdentifier("email.format")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def looks_like_mobile(value: str) -> bool:
    try:
        validate_mobile(value)
    except InvalidIdentifier:
        return False
    return True


# --- identity documents ---------------------------------------------------------------


def validate_document_number(id_type: str, raw: str) -> str:
    """The number of a document of ``id_type`` (one of :data:`ID_TYPES`), normalised: a
    居民身份证 number in its 18-character form, a residence permit's GB 11643 number with its
    region, any other document's 5 to 20 letters and digits."""
    if id_type == CITIZEN_ID:
        return validate_citizen_id(raw)
    value = normalise(raw)
    if id_type in RESIDENCE_PERMITS:
        if len(value) != 18:  # no 15-digit residence permits exist
            raise InvalidIdentifier("registration.id_number_format")
        number = validate_citizen_id(value)
        if not number.startswith(RESIDENCE_PERMITS[id_type]):
            raise InvalidIdentifier("registration.residence_permit_region")
        return number
    if not OTHER_DOCUMENT.fullmatch(value):
        raise InvalidIdentifier("registration.id_number_format")
    return value
