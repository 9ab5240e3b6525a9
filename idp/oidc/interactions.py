"""Interactions: an authorization request parked while the user logs in or consents.

A stored object with expiry and a CSRF token, bound to the browser that started it (a
cookie), so a second instance can continue it and another browser cannot.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from idp import clock
from idp.errors import PageError
from idp.oidc.models import Interaction
from idp.security.tokens import constant_time_equal, digest, new_token
from idp.sessions.store import browser_cookie_name
from idp.settings import Settings

EXPIRED = "login.page_expired"  # a message id
INTERACTION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what new_token() makes


def browser_token(request: Request, settings: Settings) -> tuple[str, bool]:
    """The browser's binding cookie; returns (value, is_new)."""
    value = request.cookies.get(browser_cookie_name(settings))
    if value:
        return value, False
    return new_token(), True


def create_interaction(
    db: AsyncSession, settings: Settings, *, client_id: str | None, request_json: dict, browser: str
) -> Interaction:
    now = clock.now()
    row = Interaction(
        id=new_token(), client_id=client_id, request=request_json, browser_digest=digest(browser),
        csrf_token=new_token(), created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.interaction_ttl_seconds),
    )
    db.add(row)
    return row


async def load_interaction(db: AsyncSession, settings: Settings, request: Request, interaction_id: str) -> Interaction:
    if not INTERACTION_ID.fullmatch(interaction_id):  # e.g. a NUL, which PostgreSQL cannot even compare
        raise PageError(EXPIRED)
    row = await db.scalar(select(Interaction).where(Interaction.id == interaction_id))
    browser = request.cookies.get(browser_cookie_name(settings), "")
    if (
        row is None
        or row.finished_at is not None
        or row.expires_at <= clock.now()
        or not constant_time_equal(digest(browser), row.browser_digest)
    ):
        raise PageError(EXPIRED)
    return row


def check_csrf(row: Interaction, submitted: str | None) -> None:
    if not submitted or not constant_time_equal(submitted, row.csrf_token):
        raise PageError("page.expired", status_code=403, detail="CSRF token mismatch")


async def update_request(db: AsyncSession, row: Interaction, **changes) -> None:
    row.request = {**row.request, **changes}
    await db.execute(update(Interaction).where(Interaction.id == row.id).values(request=row.request))


async def finish_interaction(db: AsyncSession, interaction_id: str) -> bool:
    """Finish once: a double submit cannot issue two codes."""
    result = await db.execute(
        update(Interaction)
        .where(Interaction.id == interaction_id, Interaction.finished_at.is_(None))
        .values(finished_at=clock.now())
        .returning(Interaction.id)
    )
    return result.first() is not None
