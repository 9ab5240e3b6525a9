"""医疗器械分类界定信息系统 (classification): a business system logging in through the portal.

Run it with `uvicorn mock_systems.classification:create_app --factory --port 8102` (`make run` does);
settings are BIZ_CLASSIFICATION_… environment variables (mock_systems/README.md).
"""
from __future__ import annotations

from fastapi import FastAPI

from mock_systems.common import SystemProfile, create_system_app, demo_accounts

PROFILE = SystemProfile(client_id="classification", display_name="医疗器械分类界定信息系统", port=8102,
                        demo_accounts=demo_accounts("classification"))


def create_app() -> FastAPI:
    """The ASGI application factory for uvicorn."""
    return create_system_app(PROFILE)
