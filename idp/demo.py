"""Development data for `make run`: demo accounts and secrets for the local business systems.

Refused in production mode. Demo passwords are public by design (the README lists them).
"""
from __future__ import annotations

import json
import os
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.models import Account
from idp.accounts.officials import create_official
from idp.accounts.service import create_account
from idp.db.ops import insert_ignore
from idp.oidc.client_registration import load_catalogue, rotate_secret
from idp.principals.models import Agency
from idp.security.tokens import new_token
from idp.settings import PROJECT_ROOT, Settings
from idp.staff.accounts import Actor, create_staff, find_staff
from idp.staff.roles import ADMIN, AUDITOR, BINDINGS, HELPDESK, OPERATOR, ROLE_NAMES
from shared.hashing import Passwords

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
SECRETS_FILE = PROJECT_ROOT / "var" / "client-secrets.json"
# A staff deployment's demo officials (the supervision portal of `make run`, docs/supervision.md):
# a province's regulator whose jurisdiction holds the demo enterprise (91110105…: 北京市), and
# one of another province. Each enrols TOTP at its first login (the page shows the secret).
DEMO_OFFICIALS = (("bj_regulator", "钱监管", "北京市药品监督管理局", "110000"),
                  ("zj_regulator", "孙监管", "浙江省药品监督管理局", "330000"))


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


async def seed_demo_accounts(db: AsyncSession, passwords: Passwords) -> list[str]:
    """The public portal's demo accounts: a person, a legal person and its agent."""
    lines = []
    for entry in DEMO_ACCOUNTS:
        spec: dict[str, Any] = dict(entry)
        username, agent_of = spec.pop("username"), spec.pop("agent_of", None)
        account = await db.scalar(select(Account).where(Account.username == username))
        if account is None:
            account = await create_account(db, passwords, username=username, password=DEMO_PASSWORD, actor="demo",
                                           **spec)
        if agent_of is not None:
            await _authorize_demo_agent(db, agent_of, account)
        lines.append(f"demo account {username} / {DEMO_PASSWORD}")
    return lines


async def seed_demo_officials(db: AsyncSession, passwords: Passwords) -> list[str]:
    """A staff deployment's demo officials (the supervision portal)."""
    lines = []
    for username, name, unit, jurisdiction in DEMO_OFFICIALS:
        if await db.scalar(select(Account.id).where(Account.username == username)) is None:
            await create_official(db, passwords, username=username, name=name, unit=unit, jurisdiction=jurisdiction,
                                  password=DEMO_PASSWORD, actor="demo")
        lines.append(f"demo official {username} / {DEMO_PASSWORD} ({unit}, {jurisdiction})")
    lines.append("demo officials enrol TOTP at their first login: the page shows the QR code and the secret")
    return lines


async def seed_demo(db: AsyncSession, settings: Settings, passwords: Passwords) -> list[str]:
    if settings.is_production:
        raise RuntimeError("demo data is refused in production mode")
    # Every system of the development catalogue runs locally (`make run`): each needs its secret.
    local_systems = await load_catalogue(db, settings.catalogue_path, production=False)
    if settings.self_registration:
        lines = await seed_demo_accounts(db, passwords)
    else:  # a staff deployment: its accounts are officials, opened by operators
        lines = await seed_demo_officials(db, passwords)
    lines += await seed_demo_staff(db, passwords)
    secrets = {}
    if SECRETS_FILE.exists():
        secrets = json.loads(SECRETS_FILE.read_text())
    for client_id in local_systems:
        if client_id not in secrets:
            secrets[client_id] = await rotate_secret(db, client_id, actor="seed-demo")
    SECRETS_FILE.parent.mkdir(parents=True, exist_ok=True)
    SECRETS_FILE.write_text(json.dumps(secrets, indent=2))
    os.chmod(SECRETS_FILE, 0o600)
    lines.append(f"client secrets of the local business systems: {SECRETS_FILE}")
    return lines
