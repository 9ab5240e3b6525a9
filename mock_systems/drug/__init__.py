"""药品业务应用系统 (drug): a business system logging in through the portal.

Run it with `uvicorn mock_systems.drug:create_app --factory --port 8104` (`make run` does);
settings are BIZ_DRUG_… environment variables (mock_systems/README.md).
"""
from __future__ import annotations

from fastapi import FastAPI

from mock_systems.common import SystemProfile, create_system_app, demo_accounts

PROFILE = SystemProfile(client_id="drug", display_name="药品业务应用系统", port=8104,
                        demo_accounts=demo_accounts("drug"))


def create_app() -> FastAPI:
    """The ASGI application factory for uvicorn."""
    return create_system_app(PROFILE)
