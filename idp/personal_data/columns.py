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

from sqlalchemy import ColumnElement, String, Text, bindparam, or_
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


class UnderOldKey(str):
    """A value to digest with the index key the main column is being promoted from."""


class BlindIndex(TypeDecorator):
    """The keyed digest of a value normalised by ``normalise`` (ID numbers upper-cased, e-mail
    addresses lower-cased), so spellings of one value find each other.

    ``column == value`` matches the digest under the current index key or, while a rotation
    finishes, the promoted-from one (docs/security.md, "Index key"); with ``companion`` (the name
    of a ``NextBlindIndex`` column of the same table) also the companion under the new key."""

    impl = String(DIGEST_LENGTH)
    cache_ok = True

    class comparator_factory(String.Comparator):
        def operate(self, op, *other, **kwargs):
            companion = getattr(self.type, "companion", None)
            if op is operators.eq and other and other[0] is not None \
                    and not isinstance(other[0], ClauseElement | UnderOldKey):
                main = super().operate
                either = [main(op, other[0]), main(op, UnderOldKey(other[0]))]
                return or_(*either, *([self.expr.table.c[companion] == other[0]] if companion else []))
            return super().operate(op, *other, **kwargs)

    def __init__(self, normalise: Callable[[str], str] = as_is, companion: str | None = None):
        super().__init__()
        self.normalise = normalise
        self.companion = companion

    def process_bind_param(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        ring = ring_of_dialect(dialect)
        return (ring.index_old if isinstance(value, UnderOldKey) else ring.index)(self.normalise(value))


def equals_bound(column: Any, name: str) -> ColumnElement[bool]:
    """``column == :name`` for a statement built once: on a ``BlindIndex`` column the same
    comparison as its ``==`` with a value (the current key's digest, the old key's and the
    companion's under the new key), each a bound value of its own that :func:`bound_values`
    fills; on any other column a plain comparison."""
    column_type = column.type
    if not isinstance(column_type, BlindIndex) or isinstance(column_type, NextBlindIndex):
        return column == bindparam(name)
    either = [column == bindparam(name, type_=column_type), column == bindparam(f"{name}_old", type_=column_type)]
    if column_type.companion is not None:
        companion = column.table.c[column_type.companion]
        either.append(companion == bindparam(f"{name}_next", type_=companion.type))
    return or_(*either)


def bound_values(name: str, value: str) -> dict[str, str]:
    """The bound values of :func:`equals_bound`'s ``name`` for ``value``."""
    return {name: value, f"{name}_old": UnderOldKey(value), f"{name}_next": value}


class NextBlindIndex(BlindIndex):
    """The companion of a ``BlindIndex`` column: the digest under the new index key while one
    rotates, NULL otherwise."""

    cache_ok = True

    class comparator_factory(String.Comparator):  # the companion has no companion: a plain comparison
        pass

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else ring_of_dialect(dialect).index_next(self.normalise(value))
