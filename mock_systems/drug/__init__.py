"""药品业务应用系统 (drug): a business system logging in through the portal, with the 信息采集
column: 出口药品档案信息采集 and 子用户授权 (docs/behaviours.md, Business systems;
mock_systems/README.md lists its pages).

Run it with `uvicorn mock_systems.drug:create_app --factory --port 8104` (`make run` does);
settings are BIZ_DRUG_… environment variables (mock_systems/README.md).
"""
from __future__ import annotations

from fastapi import FastAPI

from mock_systems.common import SystemProfile, create_system_app, demo_accounts
from mock_systems.common.extension import SystemExtension
from mock_systems.drug import (
    collection_routes,
    dossier_routes,
    enterprise_routes,
    entry,
    grant_routes,
    models,  # noqa: F401  (its tables join the common create_tables)
)

# On the profile, so that every way of building the app (make run, the tests) has the pages.
EXTENSION = SystemExtension(routers=(collection_routes.router, grant_routes.router, dossier_routes.router,
                                     enterprise_routes.router),
                            home_links=((collection_routes.COLLECTION, "信息采集"),),
                            before_portal_login=entry.entry_prompts)
PROFILE = SystemProfile(client_id="drug", display_name="药品业务应用系统", port=8104,
                        demo_accounts=demo_accounts("drug"), extension=EXTENSION)


def create_app(settings=None, **kwargs) -> FastAPI:
    """The ASGI application factory for uvicorn (tests pass settings and an HTTP client)."""
    return create_system_app(PROFILE, settings, **kwargs)
