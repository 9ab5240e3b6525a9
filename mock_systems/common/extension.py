"""What a business system adds to the common application (``SystemProfile.extension``): its own
pages, an access gate in front of the common pages, and work at start-up and in the background.

The gate is asked before the home page and the account pages: it answers None (go on) or the
page to show instead, e.g. a form the account must fill before it may use the system. Kept on
the profile so that every way of building the app (``make run``, the tests) builds the same one.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response

if TYPE_CHECKING:  # context imports profile, which holds an extension
    from mock_systems.common.context import SystemContext
    from mock_systems.common.models import LocalAccount

AccessGate = Callable[[Request, "SystemContext", "LocalAccount"], Awaitable[Response | None]]


@dataclass(frozen=True)
class SystemExtension:
    routers: tuple[APIRouter, ...] = ()
    # The system's own pages linked from the home page: (path, label), e.g. the drug system's 信息采集.
    home_links: tuple[tuple[str, str], ...] = ()
    access_gate: AccessGate | None = None
    # Run once at start-up, after the tables exist (e.g. seeding the system's own staff).
    on_start: tuple[Callable[[FastAPI, "SystemContext"], Awaitable[None]], ...] = ()
    # Background loops run for the app's lifetime, cancelled at shutdown (e.g. an outbox).
    loops: tuple[Callable[["SystemContext"], Awaitable[None]], ...] = ()


async def gate(request: Request, system: SystemContext, account: LocalAccount) -> Response | None:
    """The profile's access gate for this logged-in account: None, or the page to show instead."""
    extension = system.profile.extension
    if extension is None or extension.access_gate is None:
        return None
    return await extension.access_gate(request, system, account)
