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
import os
import signal
import subprocess
import sys
import time
import unicodedata
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
    # Environment of its own (a second deployment of the provider), and `idp` commands run with
    # it before it starts (its migration and demo data: `make run` does the portal's itself).
    env: tuple[tuple[str, str], ...] = ()
    prepare: tuple[tuple[str, ...], ...] = ()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


# The supervision portal (综合监管门户, docs/supervision.md): the provider again, with a staff
# profile, its own issuer, database and catalogue (the systems it serves, the drug system's
# second registration among them).
SUPERVISION_PORT = 8300
SUPERVISION_ENV = (
    ("IDP_ISSUER", f"http://{HOST}:{SUPERVISION_PORT}"),
    ("IDP_DATABASE_URL", f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'supervision.sqlite3'}"),
    ("IDP_CATALOGUE_PATH", str(PROJECT_ROOT / "idp" / "catalogue" / "supervision.yaml")),
    ("IDP_SELF_REGISTRATION", "false"), ("IDP_LOGIN_WINDOWS", "single"), ("IDP_TOTP_REQUIRED", "true"),
)

SERVICES = [
    Service("政务服务门户 portal", "idp.app:create_app", 8000, "/.well-known/openid-configuration"),
    Service("综合监管门户 supervision portal", "idp.app:create_app", SUPERVISION_PORT,
            "/.well-known/openid-configuration", env=SUPERVISION_ENV, prepare=(("migrate",), ("seed-demo",))),
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
]


def environment(service: Service) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", **dict(service.env)}


def prepare(service: Service) -> None:
    """The service's `idp` commands (its migration, its demo data), before it starts."""
    for arguments in service.prepare:
        subprocess.run([sys.executable, "-m", "idp.cli", *arguments], env=environment(service), check=True,
                       stdout=subprocess.DEVNULL)


def start(service: Service) -> ServerProcess:
    """Its output goes to this terminal; it dies with the launcher if that is killed outright."""
    command = service.command or uvicorn_command(service.app, service.port, host=HOST, log_level=None)
    return spawn(service.name, command, port=service.port, env=environment(service), probe=service.probe,
                 die_with_parent=True)


class Launcher:
    def __init__(self, services: list[Service]):
        self.services = services
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
                prepare(service)
            for service in self.services:
                self.processes[service] = start(service)
            if not self.wait_until_ready():
                return 0 if self.stop_signal is not None else 1
            print(banner(self.services), flush=True)
            return self.supervise()
        finally:
            self.stop_all()
            print("all local services stopped", flush=True)


def _columns(text: str) -> int:
    """Width on a terminal: Chinese characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def banner(services: list[Service]) -> str:
    from idp.demo import DEMO_ACCOUNTS, DEMO_OFFICIALS, DEMO_PASSWORD, DEMO_STAFF, DEMO_STAFF_PASSWORD, SECRETS_FILE
    from idp.staff.roles import ROLE_NAMES
    from mock_systems import SYSTEMS
    from mock_systems.common import DEMO_LOCAL_PASSWORD

    rows = [(s.name, s.url + "/") for s in services if not s.command]
    if any(s.command for s in services):
        rows += [(f"{p.display_name} {p.client_id}", f"http://{HOST}:{p.port}/") for p in STANDINS]
    rows.append(("OpenID configuration", services[0].url + "/.well-known/openid-configuration"))
    width = max(_columns(name) for name, _ in rows) + 2
    lines = ["", "=" * 72, "本地开发环境已启动 — local development servers are running:", ""]
    lines += [f"  {name}{' ' * (width - _columns(name))}{url}" for name, url in rows]
    lines.append("")
    lines.append(f"演示账号 demo logins (password 密码: {DEMO_PASSWORD}):")
    for account in DEMO_ACCOUNTS:
        kind = "法人账号 legal person" if account["account_type"] == "legal_person" else "个人账号 personal"
        who = account["name"] + (f" / {account['enterprise_name']}" if account.get("enterprise_name") else "")
        if account.get("agent_of"):
            who += f"; 经办人 agent of {account['agent_of']}: 法人登录 with this username"
        lines.append(f"  {account['username']:<18} {kind}, {who}")
    lines += ["", f"综合监管门户 supervision portal http://{HOST}:{SUPERVISION_PORT}/ (用户登录 + TOTP; the drug "
              f"system's 省局管理员 opens their drug-system accounts; docs/supervision.md):"]
    lines += [f"  {username:<18} {name}, {unit}, 管辖 {jurisdiction} (password 密码: {DEMO_PASSWORD})"
              for username, name, unit, jurisdiction in DEMO_OFFICIALS]
    lines += ["  TOTP: enrolled at the first login, the page shows the secret; a code from it: .venv/bin/python -c "
              "\"import pyotp; print(pyotp.TOTP('SECRET').now())\""]
    lines += ["", f"工作人员控制台 staff console {services[0].url}/staff/login (password 密码: {DEMO_STAFF_PASSWORD}; "
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
    from mock_systems.drug import PROFILE as DRUG
    from mock_systems.drug.admins import ADMINS as DRUG_ADMINS
    lines.append(f"  http://{HOST}:{DRUG.port}/staff/login  {DRUG_ADMINS.demo[0]} (省局管理员 of 110000: opens "
                 "regulator accounts with the 出口药品档案 查阅权限; regulators bind them from the supervision portal)")
    lines += ["", f"业务系统 client secrets: {SECRETS_FILE.relative_to(PROJECT_ROOT)}",
              "按 Ctrl-C 停止 — press Ctrl-C to stop everything.", "=" * 72, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(Launcher(SERVICES).run())
