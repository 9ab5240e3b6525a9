"""The production layout on one machine (`make cluster`): several portal instances behind nginx.

- PostgreSQL (the machine's, ``postgres@127.0.0.1:5432``): the cluster's own database
  (``idp_cluster``), created when missing, migrated once by ``idp migrate`` *before* any instance
  starts; the instances run with ``IDP_AUTO_MIGRATE=false``, as several instances must.
- N portal instances (uvicorn, one worker each) on 127.0.0.1:8001…800N.
- nginx (Debian's package) terminating TLS on https://127.0.0.1:8443, the issuer, with a
  certificate made at each start by a throw-away CA (var/cluster/tls/ca.pem); it connects to the
  instances from 127.0.0.2, the address IDP_TRUSTED_PROXIES names, and passes the client's
  address in X-Forwarded-For (shared/load_balancer.py, deploy/nginx/cluster.conf.template).
- The business systems, as `make run` starts them, calling the issuer through nginx and trusting
  the CA (``BIZ_<ID>_CA_BUNDLE``); their databases in var/cluster/.

Everything runs in the foreground under deploy/run_local.py's launcher: Ctrl-C stops it all.

    .venv/bin/python deploy/cluster.py [--instances 3] [--port 8443] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
from run_local import SERVICES, Launcher, Service, demo_logins, table  # deploy/ is this script's directory
from sqlalchemy.engine import make_url

from mock_systems import SYSTEMS
from mock_systems.standins import STANDINS
from shared.load_balancer import LoadBalancer, NginxMissing
from shared.processes import HOST, PROJECT_ROOT, port_in_use
from shared.tls_certificate import make_server_certificate

RUN_DIRECTORY = PROJECT_ROOT / "var" / "cluster"
FIRST_INSTANCE_PORT = 8001
NGINX_PROBE_PORT = 8442
PROXY_ADDRESS = "127.0.0.2"  # nginx's side of the connections to the instances
DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/idp_cluster?ssl=disable"  # same host: no TLS


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=3, help="portal instances (default 3)")
    parser.add_argument("--port", type=int, default=8443, help="nginx's https port, the issuer's (default 8443)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help=f"the portal's PostgreSQL database, created when missing (default {DEFAULT_DATABASE_URL})")
    args = parser.parse_args(argv)
    if not 1 <= args.instances <= 9:
        parser.error("--instances: from 1 to 9")
    if not args.database_url.startswith("postgresql+asyncpg://"):
        parser.error("--database-url: a postgresql+asyncpg:// URL (the production layout runs on PostgreSQL)")
    return args


async def create_database(url: str) -> bool:
    """CREATE DATABASE unless it exists; True when it was made now."""
    parsed = make_url(url)
    admin = f"postgresql://{parsed.username or 'postgres'}@{parsed.host or '127.0.0.1'}:{parsed.port or 5432}/postgres"
    connection = await asyncpg.connect(admin, password=parsed.password, timeout=10)
    try:
        if await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", parsed.database):
            return False
        await connection.execute(f'CREATE DATABASE "{parsed.database}"')
        return True
    finally:
        await connection.close()


# Connections the instances may hold together, under PostgreSQL's default max_connections (100),
# leaving room for `idp` commands, psql and the like.
CONNECTION_BUDGET = 80


def portal_settings(args: argparse.Namespace, balancer: LoadBalancer) -> dict[str, str]:
    per_pool = max(4, CONNECTION_BUDGET // (2 * args.instances))  # two pools an instance
    return {
        "IDP_DATABASE_POOL_SIZE": str(per_pool * 2 // 3),
        "IDP_DATABASE_MAX_OVERFLOW": str(per_pool - per_pool * 2 // 3),
        "IDP_DATABASE_URL": args.database_url,
        "IDP_ISSUER": balancer.issuer,
        "IDP_AUTO_MIGRATE": "false",  # `idp migrate` ran once before the instances started
        "IDP_TRUSTED_PROXIES": PROXY_ADDRESS,
        "IDP_DEMO_SECRETS_FILE": str(RUN_DIRECTORY / "client-secrets.json"),
    }


def system_settings(balancer: LoadBalancer) -> dict[str, str]:
    """Every business system (one process may serve several: the stand-ins) reaches the issuer
    through nginx and trusts the cluster's CA."""
    profiles = [importlib.import_module(f"mock_systems.{module}").PROFILE for module in SYSTEMS] + list(STANDINS)
    env = {}
    for profile in profiles:
        prefix = profile.env_prefix
        env.update({
            f"{prefix}ISSUER": balancer.issuer,
            f"{prefix}CA_BUNDLE": str(balancer.certificate.ca_path),
            f"{prefix}CLIENT_SECRETS_FILE": str(RUN_DIRECTORY / "client-secrets.json"),
            f"{prefix}DATABASE_URL": f"sqlite+aiosqlite:///{RUN_DIRECTORY / (profile.client_id + '.sqlite3')}",
        })
    return env


def idp_command(*words: str, env: dict[str, str]) -> None:
    """`idp migrate`, `idp seed-demo`: steps before the instances start; a failure stops here."""
    idp = Path(sys.executable).with_name("idp")
    subprocess.run([str(idp), *words], env={**os.environ, **env}, check=True)


def services(args: argparse.Namespace, balancer: LoadBalancer) -> list[Service]:
    portal_env = tuple(portal_settings(args, balancer).items())
    instances = [Service(f"政务服务门户 portal instance {n}", "idp.app:create_app", port, "/readyz", env=portal_env)
                 for n, port in enumerate(balancer.upstream_ports, start=1)]
    nginx = Service(f"nginx {balancer.issuer}", "", balancer.probe_port, "/healthz", command=tuple(balancer.command()))
    systems_env = tuple(system_settings(balancer).items())
    systems = [Service(s.name, s.app, s.port, s.probe, command=s.command, env=systems_env) for s in SERVICES[1:]
               if s.env_file is None]  # the business systems; not make run's upstream stand-in
    return [*instances, nginx, *systems]


def describe(balancer: LoadBalancer, database_url: str):
    def banner(started: list[Service]) -> str:
        rows = [("政务服务门户 portal (issuer, through nginx)", balancer.issuer + "/")]
        rows += [(s.name, s.url + "/readyz") for s in started if s.probe == "/readyz"]
        rows += [(s.name, s.url + "/") for s in started if s.probe == "/" and not s.command]
        rows += [(f"{p.display_name} {p.client_id}", f"http://{HOST}:{p.port}/") for p in STANDINS]
        lines = ["", "=" * 72, "集群已启动 — the production layout is running (several instances behind nginx):", ""]
        lines += table(rows)
        lines += ["", f"  database            {make_url(database_url).render_as_string(hide_password=True)}",
                  f"  nginx logs          {balancer.access_log.parent.relative_to(PROJECT_ROOT)}/",
                  f"  CA certificate      {balancer.certificate.ca_path.relative_to(PROJECT_ROOT)} (made at this "
                  "start; import it into the browser, or accept its warning once)"]
        lines += demo_logins(balancer.issuer)
        lines += ["", "按 Ctrl-C 停止 — press Ctrl-C to stop everything.", "=" * 72, ""]
        return "\n".join(lines)
    return banner


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    ports = tuple(range(FIRST_INSTANCE_PORT, FIRST_INSTANCE_PORT + args.instances))
    # Before anything is written: a cluster already running would lose its certificate and config.
    busy = [port for port in (*ports, args.port, NGINX_PROBE_PORT) if port_in_use(port)]
    if busy:
        print(f"ports in use: {', '.join(map(str, busy))} (is `make cluster` already running?)", file=sys.stderr)
        return 1
    RUN_DIRECTORY.mkdir(parents=True, exist_ok=True)
    balancer = LoadBalancer(prefix=RUN_DIRECTORY / "nginx", port=args.port, probe_port=NGINX_PROBE_PORT,
                            upstream_ports=ports, certificate=make_server_certificate(RUN_DIRECTORY / "tls"),
                            proxy_address=PROXY_ADDRESS)
    balancer.write()
    try:
        subprocess.run(balancer.check_command(), check=True)
    except NginxMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError:
        print(f"error: nginx refuses {balancer.config_path} (its complaint is above)", file=sys.stderr)
        return 1
    try:
        if asyncio.run(create_database(args.database_url)):
            # Secrets kept from an earlier database would not match this one's clients.
            (RUN_DIRECTORY / "client-secrets.json").unlink(missing_ok=True)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"error: PostgreSQL at {make_url(args.database_url).host}: {exc.__class__.__name__}: {exc}",
              file=sys.stderr)
        return 1
    env = portal_settings(args, balancer)
    idp_command("migrate", env=env)  # once, before any instance (they do not migrate)
    idp_command("seed-demo", env=env)
    return Launcher(services(args, balancer), describe(balancer, args.database_url), what="the cluster").run()


if __name__ == "__main__":
    sys.exit(main())
