"""医疗器械唯一标识管理信息系统 (UDI): a business system logging in through the portal.

Run it with `uvicorn mock_systems.udi:create_app --factory --port 8101` (`make run` does);
settings are BIZ_UDI_… environment variables (mock_systems/README.md).

Beyond the common code, an account created by binding must complete its organisation details
and pass staff review before it may use the system (registration.py, reviews.py), and an agent
may not create an account here (docs/behaviours.md, Agents).
"""
from __future__ import annotations

from fastapi import FastAPI

from mock_systems.common import SystemProfile, create_system_app, demo_accounts
from mock_systems.common.extension import SystemExtension
from mock_systems.common.system_staff_login import staff_login_router
from mock_systems.udi import (
    dev_messages,
    models as _models,  # noqa: F401  (registers the UDI tables before create_all)
    registration,
    reviews,
    senders,
    staff_accounts,
)
from mock_systems.udi.notifications import run_notifications
from mock_systems.udi.pages import render

EXTENSION = SystemExtension(
    routers=(registration.router, staff_login_router(staff_accounts.STAFF, render), reviews.router,
             dev_messages.router),
    access_gate=registration.registration_gate, on_start=(senders.check_settings, staff_accounts.STAFF.seed_demo),
    loops=(run_notifications,))

PROFILE = SystemProfile(client_id="udi", display_name="医疗器械唯一标识管理信息系统", port=8101,
                        demo_accounts=demo_accounts("udi"), agents_may_create=False, extension=EXTENSION)


def create_app() -> FastAPI:
    """The ASGI application factory for uvicorn."""
    return create_system_app(PROFILE)
