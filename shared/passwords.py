"""The portal's password rule: 8 to 16 characters, at least three of upper-case, lower-case,
digits and special characters (the guide's wording is message ``password.rule``)."""
from __future__ import annotations

from shared.identity import InvalidIdentifier


def password_classes(password: str) -> int:
    return sum((
        any(c.isupper() and c.isascii() for c in password),
        any(c.islower() and c.isascii() for c in password),
        any(c.isdigit() and c.isascii() for c in password),
        any(not c.isalnum() and c.isascii() and c.isprintable() and c != " " for c in password),
    ))


def validate_password(password: str) -> str:
    printable = password.isascii() and password.isprintable() and " " not in password
    if not 8 <= len(password) <= 16 or not printable or password_classes(password) < 3:
        raise InvalidIdentifier("password.rule")
    return password
