"""Jurisdictions by administrative division code (GB/T 2260), and which enterprises they cover.

An enterprise's division is characters 3 to 8 of its 统一社会信用代码 (GB 32100: the
registration authority's 登记管理机关行政区划码). A province's code (``XX0000``) covers every
division of the same first two digits, a city's (``XXXX00``) those of the same first four.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, func

JURISDICTION = re.compile(r"(?!00)\d{2}(?:0000|(?!00)\d{2}00)")  # a province or a city, never 000000


def is_jurisdiction(code: str) -> bool:
    return bool(JURISDICTION.fullmatch(code))


def prefix_of(jurisdiction: str) -> str:
    """The leading digits of every division the jurisdiction covers."""
    if not is_jurisdiction(jurisdiction):
        raise ValueError("not a province's or a city's division code")
    return jurisdiction[:2] if jurisdiction.endswith("0000") else jurisdiction[:4]


def division_of(credit_code: str) -> str:
    return credit_code[2:8]


def covers(jurisdiction: str, credit_code: str) -> bool:
    return division_of(credit_code).startswith(prefix_of(jurisdiction))


def within(jurisdiction: str, province: str) -> bool:
    """Whether ``jurisdiction`` lies in ``province`` (an administrator grants within its own)."""
    return is_jurisdiction(jurisdiction) and jurisdiction[:2] == province[:2]


def covered_by(column: Any, jurisdiction: str) -> ColumnElement[bool]:
    """The SQL condition: the credit code in ``column`` is of an enterprise the jurisdiction covers."""
    prefix = prefix_of(jurisdiction)
    return func.substr(column, 3, len(prefix)) == prefix
