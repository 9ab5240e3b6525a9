"""Integer row ids in URL paths, bounded to the id columns' range.

An id column is ``INTEGER``: 32 bits on PostgreSQL, 64 on SQLite. A larger number in a path
(``/space/agents/9223372036854775808``) reached the query and failed there (asyncpg refuses the
parameter, sqlite3 overflows): HTTP 500. The ``row_id`` path convertor matches only
1..:data:`ID_MAX`, the smallest range across the backends, so anything else finds no route and
is answered 404 before any query. Routes write ``{agency_id:row_id}`` (:data:`ROW_ID`).
"""
from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

ID_MAX = 2**31 - 1  # PostgreSQL's integer
ROW_ID = "row_id"


def decimal_range_pattern(limit: int) -> str:
    """A regular expression for the decimal numbers 1..limit, no sign nor leading zero."""
    digits = str(limit)
    shorter = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same_length = []
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            rest = len(digits) - i - 1
            same_length.append(f"{digits[:i]}[{low}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return "|".join([*shorter, *same_length, digits])


class RowIdConvertor(Convertor[int]):
    regex = f"(?:{decimal_range_pattern(ID_MAX)})"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        if not 0 < value <= ID_MAX:
            raise ValueError("id out of range")
        return str(value)


def parse_id(value) -> int | None:
    """A row id given in a query or form field, or None when it cannot be one."""
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) <= len(str(ID_MAX)) \
        and 0 < int(value) <= ID_MAX else None


register_url_convertor(ROW_ID, RowIdConvertor())
