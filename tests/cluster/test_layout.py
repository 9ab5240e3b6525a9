"""`make cluster`'s layout (deploy/cluster.py), without starting it: what each process is told.
The banner is only built once everything runs, so a broken import there would show late."""
from __future__ import annotations

import importlib.util
import sys

from idp.settings import PROJECT_ROOT
from mock_systems.standins import STANDINS
from shared.load_balancer import LoadBalancer
from shared.tls_certificate import ServerCertificate


def load_cluster():
    sys.path.insert(0, str(PROJECT_ROOT / "deploy"))  # as when run as a script: run_local beside it
    try:
        spec = importlib.util.spec_from_file_location("cluster_launcher", PROJECT_ROOT / "deploy" / "cluster.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(PROJECT_ROOT / "deploy"))


def layout(*argv: str):
    cluster = load_cluster()
    args = cluster.arguments(list(argv))
    tls = cluster.RUN_DIRECTORY / "tls"
    balancer = LoadBalancer(prefix=cluster.RUN_DIRECTORY / "nginx", port=args.port, probe_port=cluster.NGINX_PROBE_PORT,
                            upstream_ports=tuple(range(8001, 8001 + args.instances)), proxy_address="127.0.0.2",
                            certificate=ServerCertificate(tls / "ca.pem", tls / "server.pem", tls / "server.key"))
    return cluster, args, balancer


def test_the_instances_never_migrate_trust_only_nginx_and_stay_within_the_connection_budget():
    for instances in ("1", "3", "9"):
        cluster, args, balancer = layout("--instances", instances)
        instances_started = [s for s in cluster.services(args, balancer) if s.probe == "/readyz"]
        assert len(instances_started) == args.instances
        for service in instances_started:
            env = dict(service.env)
            assert env["IDP_AUTO_MIGRATE"] == "false" and env["IDP_ISSUER"] == "https://127.0.0.1:8443"
            assert env["IDP_TRUSTED_PROXIES"] == balancer.proxy_address
            per_instance = 2 * (int(env["IDP_DATABASE_POOL_SIZE"]) + int(env["IDP_DATABASE_MAX_OVERFLOW"]))
            assert args.instances * per_instance <= cluster.CONNECTION_BUDGET


def test_every_business_system_calls_the_issuer_through_nginx_and_trusts_its_ca():
    cluster, args, balancer = layout()
    systems = [s for s in cluster.services(args, balancer) if s.probe == "/"]
    assert len(systems) == 6  # the five systems and the process of the stand-ins
    env = dict(systems[0].env)
    for profile in STANDINS:
        assert env[f"{profile.env_prefix}ISSUER"] == balancer.issuer
        assert env[f"{profile.env_prefix}CA_BUNDLE"] == str(balancer.certificate.ca_path)
    assert env["BIZ_UDI_CA_BUNDLE"] == str(balancer.certificate.ca_path)


def test_the_banner_names_the_issuer_each_instance_and_the_ca():
    cluster, args, balancer = layout()
    services = cluster.services(args, balancer)
    text = cluster.describe(balancer, args.database_url)(services)
    assert "https://127.0.0.1:8443/" in text and "var/cluster/tls/ca.pem" in text
    assert all(f"http://127.0.0.1:{port}/readyz" in text for port in balancer.upstream_ports)
    assert "https://127.0.0.1:8443/staff/login" in text  # the demo logins at the issuer
