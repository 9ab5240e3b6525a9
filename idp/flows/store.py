"""Storing and advancing self-service flows.

A flow moves between named states; every transition names the state it expects and is one
conditional UPDATE, so a double submit or a second tab cannot advance it twice. Binding to the
browser, CSRF and expiry are the common base in :mod:`idp.sessions.browser_bound`.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from starlette.requests import Request

from idp import clock
from idp.errors import PageError
from idp.flows.models import Flow
from idp.sessions import browser_bound as bound
from idp.settings import Settings

FLOW_TTL = dt.timedelta(minutes=30)
EXPIRED = "flow.expired"  # a message id


def start_flow(db: AsyncSession, kind: str, state: str, browser: str, data: dict | None = None) -> Flow:
    return bound.create_bound(db, Flow, browser, FLOW_TTL, kind=kind, state=state, data=data or {})


async def load_flow(db: AsyncSession, settings: Settings, request: Request, flow_id: str, kind: str) -> Flow:
    return await bound.load_bound(db, settings, request, Flow, flow_id, expired=EXPIRED, where={"kind": kind})


check_flow_csrf = bound.check_csrf


def expect_state(flow: Flow, *states: str) -> None:
    """A form posted for a step the flow has left (another tab, the back button)."""
    if flow.state not in states:
        raise PageError(EXPIRED, status_code=409, detail=f"flow is in state {flow.state}")


async def advance(db: AsyncSession, flow: Flow, *, expected: str, to: str, finish: bool = False, **data) -> None:
    """Move the flow from ``expected`` to ``to``, merging ``data``; refuses if it moved meanwhile."""
    values: dict = {"state": to, "data": {**flow.data, **data}}
    if finish:
        values["finished_at"] = clock.now()
    if not await bound.update_unfinished(db, Flow, flow.id, where={"state": expected}, **values):
        raise PageError(EXPIRED, status_code=409, detail=f"flow is not in state {expected}")
    for name, value in values.items():  # as stored: the object changes nothing more at commit
        set_committed_value(flow, name, value)
