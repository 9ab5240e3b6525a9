"""药品业务应用系统 (drug): a business system logging in through the portal, with the 信息采集
column: 出口药品档案信息采集 and 子用户授权 (docs/behaviours.md, Business systems;
mock_systems/README.md lists its pages). It also trusts the supervision portal (综合监管门户,
supervision.py): regulators opened by the provincial administrator (admin_routes.py) bind
from there and read the export dossiers of their jurisdiction (regulator_routes.py).

Run it with `uvicorn mock_systems.drug:create_app --factory --port 8104` (`make run` does);
settings are BIZ_DRUG_… environment variables (mock_systems/README.md).
"""
from __future__ import annotations

from fastapi import FastAPI

from mock_systems.common import SystemProfile, SystemSettings, create_system_app, demo_accounts, settings_for
from mock_systems.common.extension import SystemExtension
from mock_systems.common.providers import attach_provider
from mock_systems.common.system_staff_login import staff_login_router
from mock_systems.drug import (
    admin_routes,
    admins,
    collection_routes,
    dossier_routes,
    enterprise_routes,
    entry,
    grant_routes,
    models,  # noqa: F401  (its tables join the common create_tables)
    regulator_models,  # noqa: F401  (likewise)
    regulator_routes,
    supervision,
)
from mock_systems.drug.pages import render

# On the profile, so that every way of building the app (make run, the tests) has the pages.
EXTENSION = SystemExtension(routers=(collection_routes.router, grant_routes.router, dossier_routes.router,
                                     enterprise_routes.router, regulator_routes.router,
                                     staff_login_router(admins.ADMINS, render), admin_routes.router),
                            home_links=((collection_routes.COLLECTION, "信息采集"),
                                        (regulator_routes.DOSSIERS, "出口药品档案查阅")),
                            before_portal_login=entry.entry_prompts, on_start=(admins.ADMINS.seed_demo,),
                            binding_rules=supervision.RULES)
PROFILE = SystemProfile(client_id="drug", display_name="药品业务应用系统", port=8104,
                        demo_accounts=demo_accounts("drug"), extension=EXTENSION)


def create_app(settings: SystemSettings | None = None, supervision_settings: SystemSettings | None = None,
               **kwargs) -> FastAPI:
    """The ASGI application factory for uvicorn (tests pass settings and an HTTP client): the
    enterprises' portal's relying party, and under /supervision the supervision portal's."""
    settings = settings or settings_for(PROFILE)
    app = create_system_app(PROFILE, settings, **kwargs)
    attach_provider(app, supervision.NAME, supervision.PREFIX,
                    supervision_settings or supervision.supervision_settings(settings))
    return app
