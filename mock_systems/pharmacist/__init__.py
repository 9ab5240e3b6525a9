"""全国执业药师注册管理信息系统 (pharmacist): the business system bound by persons, not enterprises
(seed 004). Bound through 个人登录 at 三级 only — the portal's catalogue rules, checked here again
(eligibility.py) — with create-new only for a person the pharmacist register knows by name and ID
number (register.py: 15-digit numbers converted; the provincial administrator upgrades those that
do not convert to the person's number). After binding: the own qualification record and
执业药师注册申请 (registration.py, applications.py); the administrators' pages at /staff/login.

Run it with `uvicorn mock_systems.pharmacist:create_app --factory --port 8105` (`make run` does);
settings are BIZ_PHARMACIST_… environment variables (mock_systems/README.md).
"""
from __future__ import annotations

from fastapi import FastAPI

from mock_systems.common import DemoAccount, SystemProfile, create_system_app
from mock_systems.common.extension import SystemExtension
from mock_systems.common.system_staff_login import staff_login_router
from mock_systems.pharmacist import (
    admin_pages,
    admins,
    eligibility,
    models,  # noqa: F401  (its tables join the common create_tables)
    register,
    registration,
)
from mock_systems.pharmacist.pages import render

EXTENSION = SystemExtension(
    routers=(registration.router, staff_login_router(admins.ADMINS, render), admin_pages.router),
    home_links=((registration.REGISTRATION, "执业药师注册"),), access_gate=eligibility.level_gate,
    on_start=(register.seed_register, admins.ADMINS.seed_demo), binding_rules=eligibility.RULES)
# Older accounts of the system (before the portal), each holding a register record (register.SEED):
# the ones 已有用户的登录授权 binds.
DEMO_ACCOUNTS = (DemoAccount("pharmacist_demo", "陈明", ""), DemoAccount("pharmacist_demo2", "孙伟", ""))
PROFILE = SystemProfile(client_id="pharmacist", display_name="全国执业药师注册管理信息系统", port=8105,
                        demo_accounts=DEMO_ACCOUNTS, extension=EXTENSION)


def create_app(settings=None, **kwargs) -> FastAPI:
    """The ASGI application factory for uvicorn (tests pass settings and an HTTP client)."""
    return create_system_app(PROFILE, settings, **kwargs)
