"""Parsing the upgrade page's form: the confirmation the CTID app shows."""
from __future__ import annotations

import re
import unicodedata

from idp.errors import DomainError

CONFIRMATION = re.compile(r"\d{6}")


def parse_confirmation(form) -> str:
    value = unicodedata.normalize("NFKC", str(form.get("confirmation") or "")).strip()
    if not value:
        raise DomainError("upgrade.code_required")
    if not CONFIRMATION.fullmatch(value):
        raise DomainError("upgrade.code_format")
    return value
