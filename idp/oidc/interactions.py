"""Interactions: an authorization request parked while the user logs in or consents.

A browser-bound stored flow (the base in :mod:`idp.sessions.browser_bound`: expiry, CSRF token, bound to
the browser that started it by a cookie), so a second instance can continue it and another
browser cannot. Its own part is the parked request.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from idp import clock
from idp.oidc.models import Interaction
from idp.sessions import browser_bound as bound
from idp.settings import Settings

EXPIRED = "login.page_expired"  # a message id
browser_token = bound.browser_token
check_csrf = bound.check_csrf


async def create_interaction(
    db: AsyncSession, settings: Settings, *, client_id: str | None, request_json: dict, browser: str
) -> Interaction:
    """A new interaction, inserted at once in ``db``'s transaction (every login starts one)."""
    return await bound.insert_bound(db, Interaction, browser, dt.timedelta(seconds=settings.interaction_ttl_seconds),
                                    client_id=client_id, request=request_json)


async def load_interaction(db: AsyncSession, settings: Settings, request: Request, interaction_id: str) -> Interaction:
    return await bound.load_bound(db, settings, request, Interaction, interaction_id, expired=EXPIRED)


async def update_request(db: AsyncSession, row: Interaction, **changes) -> None:
    row.request = {**row.request, **changes}
    await db.execute(update(Interaction).where(Interaction.id == row.id).values(request=row.request))


async def finish_interaction(db: AsyncSession, interaction_id: str) -> bool:
    """Finish once: a double submit cannot issue two codes."""
    return await bound.update_unfinished(db, Interaction, interaction_id, finished_at=clock.now())
