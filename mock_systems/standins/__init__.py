"""The catalogue's other business systems as generic stand-ins, for development.

Eighteen systems of 我的绑定 (idp/catalogue/systems.yaml) have no mock of their own: each runs
here as the common business system (mock_systems.common) with its own client id, port, database,
cookies and demo accounts, so 授权绑定 and the single sign-on lead somewhere true in `make run`.
They are light: one process serves them all, each on its own port (serve.py beside this file).
"""
from __future__ import annotations

from fastapi import FastAPI

from mock_systems.common import SystemProfile, create_system_app, demo_accounts

FIRST_PORT = 8110  # 8101–8105 are the systems with modules of their own

# (client_id, display name) in the catalogue's order; the port is FIRST_PORT + the index.
_SYSTEMS = (
    ("cosmetic-ingredients", "化妆品原料安全信息登记平台"),
    ("cosmetic-inspection", "化妆品注册和备案检验信息管理系统"),
    ("cosmetic-registration", "化妆品注册备案信息服务平台"),
    ("cde-applicant", "药审中心申请人之窗"),
    ("biologics-lot-release", "生物制品批签发管理系统"),
    ("appointments", "网上预约系统"),
    ("data-query", "网站数据查询"),
    ("inspection-submission", "新版检定网上送检系统"),
    ("device-local-licensing", "医疗器械地方行政许可备案信息系统"),
    ("clinical-trial-institutions", "药物和医疗器械临床试验机构备案管理信息系统"),
    ("device-manufacturers", "医疗器械生产企业监管信息系统"),
    ("device-registration-2015", "医疗器械注册管理信息系统 (2015版)"),
    ("device-registration-services", "医疗器械注册企业服务平台"),
    ("cfdi-applicant", "核查中心药品注册申请人之窗"),
    ("nonclinical-safety", "药物非临床安全性评价研究机构信息平台"),
    ("glp-certification", "药物非临床研究质量管理规范认证申请"),
    ("clinical-trial-registry", "药物临床试验登记与信息公示平台"),
    ("tcm-protection", "中药保护品种审评管理系统"),
)

STANDINS: tuple[SystemProfile, ...] = tuple(
    SystemProfile(client_id=client_id, display_name=name, port=FIRST_PORT + n, demo_accounts=demo_accounts(client_id))
    for n, (client_id, name) in enumerate(_SYSTEMS))


def profile_of(client_id: str) -> SystemProfile:
    for profile in STANDINS:
        if profile.client_id == client_id:
            return profile
    raise KeyError(client_id)


def create_app(client_id: str) -> FastAPI:
    """One stand-in as an application (settings from its BIZ_<ID>_… variables, as any system)."""
    return create_system_app(profile_of(client_id))
