"""nginx (Debian's package) as the TLS-terminating load balancer in front of several portal
instances on one machine: `make cluster` (deploy/cluster.py) and tests/cluster/.

The configuration is deploy/nginx/cluster.conf.template rendered into a run directory of ours
(``var/cluster/nginx`` for `make cluster`): nginx is started with ``-p <prefix> -c <conf>`` and
every path it writes (pid file, logs, temporary files) is inside the prefix, so it needs no
root-owned directory. It runs in the foreground (``daemon off``) as one more supervised process
(:func:`shared.processes.spawn`); its plain-HTTP probe port on loopback answers ``/healthz``.
"""
from __future__ import annotations

import os
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

from shared.processes import HOST, PROJECT_ROOT, ServerProcess, spawn
from shared.tls_certificate import ServerCertificate

TEMPLATE = PROJECT_ROOT / "deploy" / "nginx" / "cluster.conf.template"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/bin/nginx")
# An instance that refused a connection or timed out is left out this long (passive health).
FAIL_TIMEOUT_SECONDS = 5


class NginxMissing(RuntimeError):
    """No nginx binary on this machine."""


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in NGINX_CANDIDATES if os.access(p, os.X_OK)), None)
    if found is None:
        raise NginxMissing("nginx is not installed: on Debian `apt-get install nginx-light` "
                           "(the cluster's load balancer; .ci/run installs it)")
    return found


@dataclass(frozen=True)
class LoadBalancer:
    """One nginx: https on ``host:port`` to the instances on ``upstream_ports`` (on :data:`HOST`)."""

    prefix: Path  # the run directory: nginx.conf, nginx.pid, logs/, temp/
    port: int
    probe_port: int  # plain HTTP on loopback, /healthz
    upstream_ports: tuple[int, ...]
    certificate: ServerCertificate
    host: str = HOST
    # The source address nginx connects to the instances from (a second loopback address on one
    # machine), i.e. what IDP_TRUSTED_PROXIES names; None: the system chooses.
    proxy_address: str | None = None

    @property
    def issuer(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.prefix / "nginx.conf"

    @property
    def access_log(self) -> Path:
        return self.prefix / "logs" / "access.log"

    @property
    def error_log(self) -> Path:
        return self.prefix / "logs" / "error.log"

    def render(self) -> str:
        servers = "\n".join(f"        server {HOST}:{port} max_fails=1 fail_timeout={FAIL_TIMEOUT_SECONDS}s;"
                            for port in self.upstream_ports)
        # The `user` directive only means something to a master started as root (CI's case):
        # the workers then run as the owner of the run directory instead of `nobody`, who could
        # not write the temporary files there.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        values = {
            "user": user, "prefix": str(self.prefix), "servers": servers,
            "listen": f"{self.host}:{self.port}", "probe_listen": f"{HOST}:{self.probe_port}",
            "certificate": str(self.certificate.certificate_path),
            "certificate_key": str(self.certificate.key_path),
            "proxy_bind": f"            proxy_bind {self.proxy_address};" if self.proxy_address else "",
        }
        text = TEMPLATE.read_text(encoding="utf-8")
        for name, value in values.items():
            text = text.replace(f"@{name}@", value)
        return text

    def write(self) -> Path:
        """The configuration and the directories it names, in the prefix; returns the config's path."""
        for directory in ("logs", "temp/client_body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi"):
            (self.prefix / directory).mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.render(), encoding="utf-8")
        return self.config_path

    def command(self) -> list[str]:
        return [nginx_binary(), "-p", str(self.prefix), "-c", str(self.config_path)]

    def check_command(self) -> list[str]:
        """``nginx -t``: the configuration is valid (run before starting, for a clear error)."""
        return [*self.command(), "-t", "-q"]

    def spawn(self, *, log_path: Path | None = None, die_with_parent: bool = False) -> ServerProcess:
        """Start nginx (not waiting for it); its probe is the loopback /healthz."""
        return spawn("nginx", self.command(), port=self.probe_port, env=dict(os.environ), log_path=log_path,
                     probe="/healthz", die_with_parent=die_with_parent)
