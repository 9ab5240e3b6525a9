"""医疗器械唯一标识管理信息系统 (UDI): a business system logging in through the portal.

Run it with `uvicorn mock_systems.udi:create_app --factory --port 8101` (`make run` does);
settings are BIZ_UDI_… environment variables (mock_systems/README.md).
"""
from __future__ import annotations

from fastapi import FastAPI

from mock_systems.common import SystemProfile, create_system_app, demo_accounts

# An account created by binding must give its organisation and a contact phone before use
# (../shared/domain.md: the UDI system asks for organisation and contact details).
PROFILE = SystemProfile(client_id="udi", display_name="医疗器械唯一标识管理信息系统", port=8101,
                        demo_accounts=demo_accounts("udi"), required_fields=("organisation", "contact_phone"),
                        agents_may_create=False)


def create_app() -> FastAPI:
    """The ASGI application factory for uvicorn."""
    return create_system_app(PROFILE)
