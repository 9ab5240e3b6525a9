"""The portal's password rule: 8 to 16 characters, at least three of upper-case, lower-case,
digits and special characters (the guide's wording is message ``password.rule``); and, since
the rule alone lets ``Password@123`` through, no common breached password and nothing made of
the account's own username, name, mobile or ID number (ASVS 5.0 V6.2.4)."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from shared.common_passwords import is_common
from shared.identity import InvalidIdentifier

DIGIT_RUN = re.compile(r"\d{6,}")
MIN_WORD = 3  # shorter parts of a name (e.g. "li") would refuse too many unrelated passwords


def password_classes(password: str) -> int:
    return sum((
        any(c.isupper() and c.isascii() for c in password),
        any(c.islower() and c.isascii() for c in password),
        any(c.isdigit() and c.isascii() for c in password),
        any(not c.isalnum() and c.isascii() and c.isprintable() and c != " " for c in password),
    ))


def uses_personal_data(password: str, personal: Iterable[str | None]) -> bool:
    """True when the password contains one of the words (username, name parts), or six or more
    digits in a row of a number (mobile, ID number: its last six digits, its birth date...)."""
    lower = password.lower()
    runs = DIGIT_RUN.findall(password)
    for value in personal:
        value = unicodedata.normalize("NFKC", value or "").lower()
        number = re.sub(r"[\s\-]", "", value)
        if len(number) >= 6 and number[:-1].isdigit():
            if number[-6:] in lower or any(run in number for run in runs):
                return True
            continue
        if any(len(word) >= MIN_WORD and word in lower for word in re.split(r"[\s·]+", value)):
            return True
    return False


def validate_password(password: str, personal: Iterable[str | None] = ()) -> str:
    """``personal``: the account's username, name, mobile and ID number (those known)."""
    printable = password.isascii() and password.isprintable() and " " not in password
    if not 8 <= len(password) <= 16 or not printable or password_classes(password) < 3:
        raise InvalidIdentifier("password.rule")
    if is_common(password):
        raise InvalidIdentifier("password.common")
    if uses_personal_data(password, personal):
        raise InvalidIdentifier("password.personal")
    return password
