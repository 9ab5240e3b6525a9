"""Runs the portal and the local business systems for development (`make run`).

Each service is its own uvicorn process, as in production: the portal and every business
system (业务系统) have their own database and talk only over HTTP. This launcher starts them
(shared.processes), waits until each answers, prints the URLs and the demo logins, and on
Ctrl-C (SIGINT) or SIGTERM passes the signal on and waits until every process it started has
exited.

Run from the project root with the project's virtual environment:
    .venv/bin/python deploy/run_local.py
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mock_systems.standins import STANDINS
from shared.processes import HOST, ServerProcess, port_in_use, spawn, stop_all, uvicorn_command

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Service:
    name: str
    app: str  # an ASGI application factory for `uvicorn --factory`
    port: int
    probe: str = "/"  # a path that answers 200 once the service is up
    # Instead of `uvicorn <app>`: a command of its own (the stand-ins serve several ports).
    command: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()  # settings of its own, over the launcher's environment
    # Settings of its own from a file, likewise (a second deployment of the portal).
    env_file: Path | None = None
    public_host: str = HOST  # the host its users' browsers are sent to

    @property
    def url(self) -> str:
        return f"http://{self.public_host}:{self.port}"


# The 国家政务服务平台 stand-in: a second deployment of the portal's provider, its settings in one
# file (also read by the Makefile to migrate and seed its database); its issuer is on localhost, so
# its cookies are apart from the portal's on 127.0.0.1 in one browser.
UPSTREAM_ENV = PROJECT_ROOT / "deploy" / "upstream" / "upstream.env"
UPSTREAM_PORT = 8200
UPSTREAM_CLIENT_SECRETS = PROJECT_ROOT / "var" / "upstream-client-secrets.json"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments skipped."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def portal_upstream_env() -> dict[str, str]:
    """The portal's IDP_UPSTREAM_* settings naming the stand-in (its secret from `idp seed-demo`)."""
    issuer = read_env_file(UPSTREAM_ENV)["IDP_ISSUER"]
    secrets = json.loads(UPSTREAM_CLIENT_SECRETS.read_text()) if UPSTREAM_CLIENT_SECRETS.exists() else {}
    return {"IDP_UPSTREAM_DISCOVERY_URL": f"{issuer}/.well-known/openid-configuration",
            "IDP_UPSTREAM_CLIENT_ID": "zwfw_portal", "IDP_UPSTREAM_CLIENT_SECRET": secrets.get("zwfw_portal", "")}


# The supervision portal (综合监管门户, docs/supervision.md): the provider again with the staff
# profile, its settings in one file as the stand-in's (the Makefile migrates and seeds it).
SUPERVISION_ENV = PROJECT_ROOT / "deploy" / "supervision" / "supervision.env"
SUPERVISION_PORT = 8300


PORTAL = Service("政务服务门户 portal", "idp.app:create_app", 8000, "/.well-known/openid-configuration")
SERVICES = [
    PORTAL,
    # The business systems, one line each, on the ports of idp/catalogue/systems.yaml:
    Service("医疗器械唯一标识管理信息系统 udi", "mock_systems.udi:create_app", 8101),
    Service("医疗器械分类界定信息系统 classification", "mock_systems.classification:create_app", 8102),
    Service("药械组合产品属性界定信息系统 combination", "mock_systems.combination:create_app", 8103),
    Service("药品业务应用系统 drug", "mock_systems.drug:create_app", 8104),
    Service("全国执业药师注册管理信息系统 pharmacist", "mock_systems.pharmacist:create_app", 8105),
    # The catalogue's other systems: generic stand-ins, one process on ports 8110–8127; it
    # answers on the last port once every one is up (they start together).
    Service(f"其他业务系统 stand-ins ({len(STANDINS)}, :{STANDINS[0].port}–{STANDINS[-1].port})", "",
            STANDINS[-1].port, command=(sys.executable, "-m", "mock_systems.standins.serve")),
    Service("国家政务服务平台 stand-in (upstream)", "idp.app:create_app", UPSTREAM_PORT,
            "/.well-known/openid-configuration", env_file=UPSTREAM_ENV, public_host="localhost"),
    Service("综合监管门户 supervision portal", "idp.app:create_app", SUPERVISION_PORT,
            "/.well-known/openid-configuration", env_file=SUPERVISION_ENV),
]


def start(service: Service) -> ServerProcess:
    """Its output goes to this terminal; it dies with the launcher if that is killed outright."""
    command = service.command or uvicorn_command(service.app, service.port, host=HOST, log_level=None)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if service.env_file is not None:
        env.update(read_env_file(service.env_file))
    elif service is PORTAL:  # make run's portal: its upstream is the stand-in (read once it is seeded)
        env.update(portal_upstream_env())
    env.update(dict(service.env))
    return spawn(service.name, command, port=service.port, env=env, probe=service.probe, die_with_parent=True)


class Launcher:
    """Starts ``services`` together, prints ``describe(services)`` once all answer, and stops
    them all on a signal or when one exits (`make run`; `make cluster` in deploy/cluster.py)."""

    def __init__(self, services: list[Service], describe: Callable[[list[Service]], str] | None = None,
                 what: str = "all local services"):
        self.services = services
        self.describe = describe or banner
        self.what = what
        self.processes: dict[Service, ServerProcess] = {}
        self.stop_signal: int | None = None

    def request_stop(self, signum, _frame) -> None:
        self.stop_signal = signum

    def exited(self) -> list[tuple[Service, int]]:
        return [(s, p.process.returncode) for s, p in self.processes.items() if p.process.poll() is not None]

    def wait_until_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        waiting = list(self.services)
        while waiting and self.stop_signal is None and not self.exited():
            if time.monotonic() > deadline:
                print(f"not answering after {READY_TIMEOUT_SECONDS} s: " + ", ".join(s.name for s in waiting),
                      file=sys.stderr)
                return False
            waiting = [s for s in waiting if not self.processes[s].answers()]
            if waiting:
                time.sleep(0.2)
        return not waiting and self.stop_signal is None and not self.exited()

    def supervise(self) -> int:
        """Until a signal arrives (exit 0) or a service dies on its own (exit 1)."""
        while self.stop_signal is None:
            for service, code in self.exited():
                print(f"{service.name} exited with code {code}; stopping the others", file=sys.stderr)
                return 1
            time.sleep(0.2)
        return 0

    def stop_all(self) -> None:
        """Forward the signal, then wait; whatever is still running after STOP_TIMEOUT_SECONDS is killed."""
        for server in stop_all(self.processes.values(), self.stop_signal or signal.SIGTERM, STOP_TIMEOUT_SECONDS):
            print(f"{server.name} did not stop in time; killed it", file=sys.stderr)

    def run(self) -> int:
        # Another server on our port would answer the readiness probe in our place.
        busy = [s for s in self.services if port_in_use(s.port, HOST)]
        if busy:
            for service in busy:
                print(f"port {service.port} is in use; {service.name} cannot start (is `make run` "
                      "already running?)", file=sys.stderr)
            return 1
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        try:
            for service in self.services:
                self.processes[service] = start(service)
            if not self.wait_until_ready():
                return 0 if self.stop_signal is not None else 1
            print(self.describe(self.services), flush=True)
            return self.supervise()
        finally:
            self.stop_all()
            print(f"{self.what} stopped", flush=True)


def _columns(text: str) -> int:
    """Width on a terminal: Chinese characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def banner(services: list[Service]) -> str:
    from idp.demo import SECRETS_FILE

    rows = [(s.name, s.url + "/") for s in services if not s.command]
    if any(s.command for s in services):
        rows += [(f"{p.display_name} {p.client_id}", f"http://{HOST}:{p.port}/") for p in STANDINS]
    rows.append(("OpenID configuration", services[0].url + "/.well-known/openid-configuration"))
    lines = ["", "=" * 72, "本地开发环境已启动 — local development servers are running:", ""]
    lines += table(rows)
    lines += demo_logins(services[0].url)
    if any(s.env_file == UPSTREAM_ENV for s in services):
        lines += upstream_logins()
    if any(s.env_file == SUPERVISION_ENV for s in services):
        lines += supervision_logins()
    lines += ["", f"业务系统 client secrets: {SECRETS_FILE.relative_to(PROJECT_ROOT)}",
              "按 Ctrl-C 停止 — press Ctrl-C to stop everything.", "=" * 72, ""]
    return "\n".join(lines)


def upstream_logins() -> list[str]:
    """The 国家政务服务平台 stand-in's demo accounts."""
    from idp.demo import DEMO_PASSWORD, demo_accounts

    upstream = read_env_file(UPSTREAM_ENV)
    lines = ["", f"国家政务服务平台 stand-in {upstream['IDP_ISSUER']}/ (login window 其他方式登录 → "
             f"国家政务服务平台账号登录; password 密码: {DEMO_PASSWORD}):"]
    for account in demo_accounts(PROJECT_ROOT / upstream["IDP_DEMO_ACCOUNTS_PATH"]):
        level = account["realname_level"]
        kind = "法人 legal person" if account["account_type"] == "legal_person" else f"个人 {level}级"
        who = account["name"] + (f" / {account['enterprise_name']}" if account.get("enterprise_name") else "")
        lines.append(f"  {account['username']:<20} {kind}, {who}")
    return lines


def supervision_logins() -> list[str]:
    """The supervision portal's demo officials, and the drug system's administrator who opens
    the accounts they bind."""
    from idp.demo import DEMO_PASSWORD, demo_accounts
    from mock_systems.drug import PROFILE as DRUG
    from mock_systems.drug.admins import ADMINS

    supervision = read_env_file(SUPERVISION_ENV)
    lines = ["", f"综合监管门户 supervision portal {supervision['IDP_ISSUER']}/ (用户登录, password 密码: "
             f"{DEMO_PASSWORD}, then TOTP: enrolled at the first login, the page shows the secret; a code: "
             ".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\"):"]
    for account in demo_accounts(PROJECT_ROOT / supervision["IDP_DEMO_ACCOUNTS_PATH"]):
        who = f"{account['name']}, {account['unit']}, 管辖 {account['jurisdiction']}"
        lines.append(f"  {account['username']:<20} {who}")
    lines.append(f"  their drug-system accounts: opened by {ADMINS.demo[0]} (省局管理员, 110000) at "
                 f"http://{HOST}:{DRUG.port}{ADMINS.login}, then bound from 我的绑定 (已有用户的登录授权)")
    return lines


def table(rows: list[tuple[str, str]]) -> list[str]:
    """Two columns, the second aligned whatever the width of the Chinese names in the first."""
    width = max(_columns(name) for name, _ in rows) + 2
    return [f"  {name}{' ' * (width - _columns(name))}{url}" for name, url in rows]


def demo_logins(portal_url: str) -> list[str]:
    """The demo accounts, staff and business systems' own logins (the banner's second half)."""
    from idp.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_STAFF, DEMO_STAFF_PASSWORD
    from idp.staff.roles import ROLE_NAMES
    from mock_systems import SYSTEMS
    from mock_systems.common import DEMO_LOCAL_PASSWORD

    lines = [""]
    lines.append(f"演示账号 demo logins (password 密码: {DEMO_PASSWORD}):")
    for account in DEMO_ACCOUNTS:
        kind = "法人账号 legal person" if account["account_type"] == "legal_person" else "个人账号 personal"
        who = account["name"] + (f" / {account['enterprise_name']}" if account.get("enterprise_name") else "")
        if account.get("agent_of"):
            who += f"; 经办人 agent of {account['agent_of']}: 法人登录 with this username"
        lines.append(f"  {account['username']:<18} {kind}, {who}")
    lines += ["", f"工作人员控制台 staff console {portal_url}/staff/login (password 密码: {DEMO_STAFF_PASSWORD}; "
              "TOTP enrolled at the first sign-in):"]
    lines += [f"  {username:<18} {ROLE_NAMES[role]}" for username, _, role in DEMO_STAFF]
    lines += ["", f"业务系统本地账号 business systems' own logins (password 密码: {DEMO_LOCAL_PASSWORD}):"]
    for module in SYSTEMS:
        profile = importlib.import_module(f"mock_systems.{module}").PROFILE
        usernames = ", ".join(demo.username for demo in profile.demo_accounts)
        lines.append(f"  http://{HOST}:{profile.port}/local/login  {usernames}")
    lines.append(f"  stand-ins http://{HOST}:{STANDINS[0].port}–{STANDINS[-1].port}/local/login  "
                 "<client_id>_demo, <client_id>_demo2 (e.g. appointments_demo on "
                 f":{next(p.port for p in STANDINS if p.client_id == 'appointments')}, 网上预约系统)")
    from mock_systems.udi import PROFILE as UDI
    from mock_systems.udi.staff_accounts import DEMO_STAFF  # the UDI system's reviewers log in apart
    lines.append(f"  http://{HOST}:{UDI.port}/staff/login  {DEMO_STAFF[0]} (审核人员 reviewer; "
                 f"dev messages: http://{HOST}:{UDI.port}/dev/messages)")
    from mock_systems.pharmacist import PROFILE as PHARMACIST
    from mock_systems.pharmacist.admins import DEMO_ADMIN  # the provincial administrators, apart
    lines.append(f"  http://{HOST}:{PHARMACIST.port}/staff/login  {DEMO_ADMIN[0]} (省局管理员 provincial "
                 "administrator: upgrades 15-digit ID numbers, reviews 执业药师注册申请)")
    lines.append(f"  {PHARMACIST.display_name}: 个人登录 at 三级 only; zhangsan (三级) binds it with "
                 "直接授权创建新的账号")
    return lines


if __name__ == "__main__":
    sys.exit(Launcher(SERVICES).run())
