"""药械组合产品属性界定信息系统 (combination): a business system logging in through the portal.

Run it with `uvicorn mock_systems.combination:create_app --factory --port 8103` (`make run` does);
settings are BIZ_COMBINATION_… environment variables (mock_systems/README.md).
"""
from __future__ import annotations

from fastapi import FastAPI

from mock_systems.common import SystemProfile, create_system_app, demo_accounts

PROFILE = SystemProfile(client_id="combination", display_name="药械组合产品属性界定信息系统", port=8103,
                        demo_accounts=demo_accounts("combination"))


def create_app() -> FastAPI:
    """The ASGI application factory for uvicorn."""
    return create_system_app(PROFILE)
