"""Column types that keep personal data encrypted in the database and plain in the code.

``Sealed``: the attribute holds the plaintext; the column holds the envelope (idp.personal_data.cipher),
sealed when bound, opened when read. Comparing it for equality in SQL is refused (a fresh nonce per
value: it would never match); lookups go through a ``BlindIndex`` column instead.

``BlindIndex``: a value bound to it, in an INSERT, an UPDATE or a WHERE, becomes its keyed digest,
so ``Account.personal_id_number == number`` stays one indexed lookup and a unique constraint on the
column still holds; reading it gives the digest, never the value.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.sql import ClauseElement, operators
from sqlalchemy.types import TypeDecorator

from idp.personal_data.ring import ring_of_dialect

DIGEST_LENGTH = 64  # HMAC-SM3 as hex


class SealedComparisonRefused(TypeError):
    pass


class Sealed(TypeDecorator):
    """A string stored encrypted; ``label`` ('table.column') is the additional authenticated data."""

    impl = Text
    cache_ok = True

    class comparator_factory(Text.Comparator):
        def operate(self, op, *other, **kwargs):
            # a value (not None, not another column, which the ORM compares internally) would be
            # sealed with a fresh nonce and never match
            if op in (operators.eq, operators.ne, operators.in_op, operators.like_op, operators.ilike_op) \
                    and other and other[0] is not None and not isinstance(other[0], ClauseElement):
                raise SealedComparisonRefused("an encrypted column cannot be compared: use its blind index")
            return super().operate(op, *other, **kwargs)

    def __init__(self, label: str):
        super().__init__()
        self.label = label

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else ring_of_dialect(dialect).seal(value, self.label)

    def process_result_value(self, value: Any, dialect) -> str | None:
        return None if value is None else ring_of_dialect(dialect).open(value, self.label)


class SealedJSON(Sealed):
    """A JSON document stored encrypted as one value (a self-service flow's form data)."""

    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else ring_of_dialect(dialect).seal(json.dumps(value), self.label)

    def process_result_value(self, value: Any, dialect) -> Any:
        return None if value is None else json.loads(ring_of_dialect(dialect).open(value, self.label))


def upper(value: str) -> str:
    return value.strip().upper()


def lower(value: str) -> str:
    return value.strip().lower()


def as_is(value: str) -> str:
    return value.strip()


class BlindIndex(TypeDecorator):
    """The keyed digest of a value normalised by ``normalise`` (ID numbers upper-cased, e-mail
    addresses lower-cased), so spellings of one value find each other."""

    impl = String(DIGEST_LENGTH)
    cache_ok = True

    def __init__(self, normalise: Callable[[str], str] = as_is):
        super().__init__()
        self.normalise = normalise

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else ring_of_dialect(dialect).index(self.normalise(value))
