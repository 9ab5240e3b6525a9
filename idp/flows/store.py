"""Storing and advancing self-service flows.

A flow moves between named states; every transition names the state it expects and is one
conditional UPDATE, so a double submit or a second tab cannot advance it twice.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from idp import clock
from idp.errors import PageError
from idp.flows.models import Flow
from idp.security.tokens import constant_time_equal, digest, new_token
from idp.sessions.store import browser_cookie_name
from idp.settings import Settings

FLOW_TTL = dt.timedelta(minutes=30)
EXPIRED = "flow.expired"  # a message id
FLOW_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what new_token() makes


def start_flow(db: AsyncSession, kind: str, state: str, browser: str, data: dict | None = None) -> Flow:
    now = clock.now()
    flow = Flow(id=new_token(), kind=kind, state=state, data=data or {}, csrf_token=new_token(),
                browser_digest=digest(browser), created_at=now, expires_at=now + FLOW_TTL)
    db.add(flow)
    return flow


async def load_flow(db: AsyncSession, settings: Settings, request: Request, flow_id: str, kind: str) -> Flow:
    if not FLOW_ID.fullmatch(flow_id or ""):  # e.g. a NUL, which PostgreSQL cannot even compare
        raise PageError(EXPIRED)
    flow = await db.scalar(select(Flow).where(Flow.id == flow_id, Flow.kind == kind))
    browser = request.cookies.get(browser_cookie_name(settings), "")
    if (
        flow is None or flow.finished_at is not None or flow.expires_at <= clock.now()
        or not constant_time_equal(digest(browser), flow.browser_digest)
    ):
        raise PageError(EXPIRED)
    return flow


def check_flow_csrf(flow: Flow, submitted) -> None:
    if not submitted or not constant_time_equal(str(submitted), flow.csrf_token):
        raise PageError("page.expired", status_code=403, detail="CSRF token mismatch")


async def advance(db: AsyncSession, flow: Flow, *, expected: str, to: str, finish: bool = False, **data) -> None:
    """Move the flow from ``expected`` to ``to``, merging ``data``; refuses if it moved meanwhile."""
    values: dict = {"state": to, "data": {**flow.data, **data}}
    if finish:
        values["finished_at"] = clock.now()
    result = await db.execute(
        update(Flow).where(Flow.id == flow.id, Flow.state == expected, Flow.finished_at.is_(None))
        .values(**values).returning(Flow.id)
    )
    if result.first() is None:
        raise PageError(EXPIRED, status_code=409, detail=f"flow is not in state {expected}")
    flow.state, flow.data = to, values["data"]
