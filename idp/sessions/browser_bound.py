"""The browser-bound stored flow: the one base under self-service flows and login interactions.

A flow (``idp.flows.models.Flow``) and a login interaction (``idp.oidc.models.Interaction``)
are both rows with an id that travels in URLs, a CSRF token, the digest of the browser cookie
that started them, an expiry and a finish time. They are stored, not kept in memory, so a second
instance can continue them; they are bound to the browser so a leaked URL is useless elsewhere
(ASVS 3.5: tokens bound to the session that made them), and they finish with one conditional
UPDATE so a double submit cannot act twice. This module holds that common part once; each
model keeps only its own columns (a flow's kind, state and data, an interaction's request).
It sits in the domain layer beside the sessions whose browser cookie it checks, so the provider's
interactions (idp/oidc) and the flows (idp/flows) both build on it from below.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, TypeVar, cast

from sqlalchemy import Insert, Select, Table, Update, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from idp import clock
from idp.errors import PageError
from idp.security.tokens import constant_time_equal, digest, new_token
from idp.sessions.store import browser_cookie_name
from idp.settings import Settings

ROW_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what new_token() makes


class BrowserBound(Protocol):
    """The columns the base reads: what Flow and Interaction have in common."""

    id: Any
    csrf_token: Any
    browser_digest: Any
    expires_at: Any
    finished_at: Any
    __table__: ClassVar[Any]

    def __init__(self, **columns: Any) -> None: ...  # a declarative model's keyword constructor


Row = TypeVar("Row", bound=BrowserBound)


def browser_token(request: Request, settings: Settings) -> tuple[str, bool]:
    """The browser's binding cookie; returns (value, is_new)."""
    value = request.cookies.get(browser_cookie_name(settings))
    if value:
        return value, False
    return new_token(), True


def create_bound(db: AsyncSession, model: type[Row], browser: str, ttl: dt.timedelta, **columns) -> Row:
    """A new row bound to ``browser``, with a fresh id and CSRF token, good for ``ttl``."""
    row = model(**bound_columns(browser, ttl, **columns))
    db.add(row)
    return row


async def insert_bound(db: AsyncSession, model: type[Row], browser: str, ttl: dt.timedelta, **columns) -> Row:
    """:func:`create_bound` written at once with a Core INSERT in ``db``'s transaction; the row
    returned stays out of ``db``. For the login's pages, where flushing the object through the
    ORM's unit of work at commit was a measurable part of the request."""
    values = bound_columns(browser, ttl, **columns)
    connection = await db.connection()
    await connection.execute(insert_into(model), values)
    return model(**values)


@functools.cache
def select_bound(model: type[BrowserBound], columns: tuple[str, ...]) -> Select:
    """The SELECT of one row of ``model`` by id and by the values of ``columns``, built once per
    model and columns (every login page and form post runs one)."""
    return select(model).where(model.id == bindparam("b_id"),
                               *(getattr(model, name) == bindparam(f"b_{name}") for name in columns))


@functools.cache
def insert_into(model: type[BrowserBound]) -> Insert:
    """The INSERT of ``model``'s table, built once per model."""
    return insert(cast(Table, model.__table__))


def bound_columns(browser: str, ttl: dt.timedelta, **columns) -> dict[str, Any]:
    """A new row's columns: a fresh id and CSRF token, the browser's digest, good for ``ttl``."""
    now = clock.now()
    return dict(id=new_token(), csrf_token=new_token(), browser_digest=digest(browser), created_at=now,
                expires_at=now + ttl, **columns)


async def load_bound(db: AsyncSession, settings: Settings, request: Request, model: type[Row], row_id: str,
                     *, expired: str, where: Mapping[str, Any] | None = None, finished: bool = False) -> Row:
    """The row ``row_id`` if it is unexpired, this browser's and unfinished (``finished``: finished,
    for a success page), and its columns ``where`` names have those values; else ``expired`` (one
    message for every case, so a guesser learns nothing)."""
    if not ROW_ID.fullmatch(row_id or ""):  # e.g. a NUL, which PostgreSQL cannot even compare
        raise PageError(expired)
    where = where or {}
    values = {f"b_{name}": value for name, value in where.items()}
    row = await db.scalar(select_bound(model, tuple(where)), {"b_id": row_id, **values})
    browser = request.cookies.get(browser_cookie_name(settings), "")
    if (
        row is None or (row.finished_at is not None) != finished or row.expires_at <= clock.now()
        or not constant_time_equal(digest(browser), row.browser_digest)
    ):
        raise PageError(expired)
    return row


def check_csrf(row: BrowserBound, submitted) -> None:
    """The form's CSRF token is the row's (ASVS 4.2.2); a mismatch is 页面已过期, 403."""
    if not submitted or not constant_time_equal(str(submitted), row.csrf_token):
        raise PageError("page.expired", status_code=403, detail="CSRF token mismatch")


@functools.cache
def update_unfinished_statement(model: type[BrowserBound], where: tuple[str, ...], values: tuple[str, ...]) -> Update:
    """:func:`update_unfinished`'s UPDATE, built once per model and columns."""
    return (update(model)
            .where(model.id == bindparam("b_id"), model.finished_at.is_(None),
                   *(getattr(model, name) == bindparam(f"b_where_{name}") for name in where))
            .values({name: bindparam(f"b_{name}") for name in values})
            .returning(model.id))


async def update_unfinished(db: AsyncSession, model: type[Row], row_id: str, *, where: Mapping[str, Any] | None = None,
                            **values) -> bool:
    """One conditional UPDATE of an unfinished row whose columns ``where`` names still have those
    values; False if another request moved or finished it first. It runs on ``db``'s connection
    (every code issued after a login runs one): an object of the row loaded in ``db`` keeps its
    old values, the caller sets what it reads afterwards."""
    where = where or {}
    connection = await db.connection()
    result = await connection.execute(update_unfinished_statement(model, tuple(where), tuple(values)), {
        "b_id": row_id, **{f"b_where_{name}": value for name, value in where.items()},
        **{f"b_{name}": value for name, value in values.items()},
    })
    return result.first() is not None
