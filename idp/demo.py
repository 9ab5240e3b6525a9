"""Development data for `make run`: demo accounts and secrets for the local business systems.

Refused in production mode. Demo passwords are public by design (the README lists them).
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import Account
from idp.accounts.service import create_account
from idp.db.ops import insert_ignore
from idp.oidc.client_registration import load_catalogue, rotate_secret
from idp.principals.models import Agency
from idp.security.tokens import new_token
from idp.settings import Settings
from idp.staff.accounts import Actor, create_staff, find_staff
from idp.staff.roles import ADMIN, AUDITOR, BINDINGS, HELPDESK, OPERATOR, ROLE_NAMES
from shared.hashing import Passwords
from shared.yaml_files import read_yaml

DEMO_PASSWORD = "Demo@2026pass"
DEMO_ACCOUNTS = [
    {"username": "zhangsan", "name": "张三", "account_type": "personal", "mobile": "13800138000",
     "email": "zhangsan@example.com", "id_type": "居民身份证", "id_number": "110000198506120133",
     "realname_level": 3},
    {"username": "demo_enterprise", "name": "李四", "account_type": "legal_person", "mobile": "13900139000",
     "email": "legal@example.com", "id_type": "居民身份证", "id_number": "330000197001010023",
     "realname_level": 2, "enterprise_name": "示例医疗器械有限公司", "credit_code": "91110105PDY0001752"},
    {"username": "wangwu", "name": "王五", "account_type": "personal", "mobile": "13700137000",
     "email": "wangwu@example.com", "id_type": "居民身份证", "id_number": "110105199003070017",
     "realname_level": 2, "agent_of": "demo_enterprise"},
]
# The staff console's demo members, one role each; each enrols TOTP at its first sign-in.
DEMO_STAFF_PASSWORD = "Staff@2026pass"
DEMO_STAFF = (("staff_admin", "管理员演示", ADMIN), ("staff_helpdesk", "咨询受理演示", HELPDESK),
              ("staff_bindings", "绑定管理演示", BINDINGS), ("staff_auditor", "审计演示", AUDITOR),
              ("staff_operator", "运维演示", OPERATOR))
SECRETS_FILE: Path = Settings.model_fields["demo_secrets_file"].default  # make run's


async def _authorize_demo_agent(db: AsyncSession, enterprise_username: str, person: Account) -> None:
    """经办人授权 of the demo enterprise, unless it exists already (the unique active key)."""
    enterprise = (await db.execute(select(Account).where(Account.username == enterprise_username))).scalar_one()
    await insert_ignore(db, Agency, {"enterprise_account_id": enterprise.id, "agent_account_id": person.id,
                                     "subject": new_token(), "active_key": f"{enterprise.id}:{person.id}",
                                     "created_at": clock.now()}, ["active_key"])


async def seed_demo_staff(db: AsyncSession, passwords: Passwords) -> list[str]:
    lines = []
    for username, name, role in DEMO_STAFF:
        if await find_staff(db, username) is None:
            await create_staff(db, passwords, username=username, name=name, password=DEMO_STAFF_PASSWORD,
                               roles=[role], by=Actor("seed-demo"))
        lines.append(f"demo staff {username} / {DEMO_STAFF_PASSWORD} ({ROLE_NAMES[role]}) at /staff/login")
    lines.append("demo staff enrol TOTP at their first sign-in: scan the QR code with an authenticator app")
    return lines


def demo_accounts(path: Path | None) -> list[dict[str, Any]]:
    """The demo accounts: IDP_DEMO_ACCOUNTS_PATH's YAML list (a second deployment's own people,
    e.g. the 国家政务服务平台 stand-in's), else the portal's. Dates in it are ISO strings."""
    if path is None:
        return DEMO_ACCOUNTS
    entries = read_yaml(path)
    for entry in entries:
        for name in ("id_valid_from", "id_valid_to"):
            if isinstance(entry.get(name), str):
                entry[name] = dt.date.fromisoformat(entry[name])
    return entries


async def seed_demo(db: AsyncSession, settings: Settings, passwords: Passwords) -> list[str]:
    if settings.is_production:
        raise RuntimeError("demo data is refused in production mode")
    # Every system of the development catalogue runs locally (`make run`): each needs its secret.
    local_systems = await load_catalogue(db, settings.catalogue_path, production=False)
    lines = []
    for entry in demo_accounts(settings.demo_accounts_path):
        spec: dict[str, Any] = dict(entry)
        username, agent_of = spec.pop("username"), spec.pop("agent_of", None)
        account = await db.scalar(select(Account).where(Account.username == username))
        if account is None:
            account = await create_account(db, passwords, username=username, password=DEMO_PASSWORD, actor="demo",
                                           **spec)
        if agent_of is not None:
            await _authorize_demo_agent(db, agent_of, account)
        lines.append(f"demo account {username} / {DEMO_PASSWORD}")
    lines += await seed_demo_staff(db, passwords)
    secrets_file = settings.demo_secrets_file
    secrets = {}
    if secrets_file.exists():
        secrets = json.loads(secrets_file.read_text())
    for client_id in local_systems:
        if client_id not in secrets:
            secrets[client_id] = await rotate_secret(db, client_id, actor="seed-demo")
    secrets_file.parent.mkdir(parents=True, exist_ok=True)
    secrets_file.write_text(json.dumps(secrets, indent=2))
    os.chmod(secrets_file, 0o600)
    lines.append(f"client secrets of the local business systems: {secrets_file}")
    return lines
