"""``python -m bench.driver``: the portal (SQLite, then PostgreSQL) and node's oidc-provider,
driven by the same client through the same scenarios; prints the table and writes it, with
the versions and settings, to bench/results/. ``make bench`` runs it."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from argon2 import PasswordHasher, Type

from bench.driver import profile, report, servers
from bench.driver.browser import Target
from bench.driver.load import drive
from bench.driver.scenarios import SCENARIOS, Context
from bench.driver.stats import Measurement, markdown_table
from idp.settings import Settings

WORKER_SCENARIOS = ("client_credentials", "userinfo", "introspection", "discovery_jwks")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.driver", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time before each scenario")
    parser.add_argument("--max-ops", type=int, default=20000, help="at most this many operations per scenario")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--code-pool", type=int, default=4000, help="codes made before the code-exchange run")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-workers", action="store_true", help="skip the two-workers comparison")
    parser.add_argument("--profile", type=Path, help="py-spy the portal during each measured run into this folder")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    return parser.parse_args()


async def run_scenarios(targets: list[Target], names: list[str], args) -> list[Measurement]:
    """Each scenario on each server in turn, so that the measurements compared were taken minutes,
    not a quarter of an hour, apart (other load on the machine changes over time)."""
    results = []
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector, connector_owner=False,
                                     cookie_jar=aiohttp.DummyCookieJar()) as http:
        for name in names:
            for target in targets:
                results.append(await run_one(target, name, args, Context(target, http, connector, args.concurrency,
                                                                         args.code_pool)))
    await connector.close()
    return results


async def run_one(target: Target, name: str, args, context: Context) -> Measurement:
    operation = await SCENARIOS[name](context)
    if args.warmup:
        await drive(name, target.name, operation, concurrency=args.concurrency, seconds=args.warmup,
                    max_ops=max(args.concurrency * 4, 100), server_pid=target.pid)
    spy = None
    if args.profile and target.name != "peer":
        spy = profile.start(target.pid, args.seconds, args.profile / f"{target.name}-{name}.txt")
        await asyncio.sleep(0.5)  # py-spy attaches
    measured = await drive(name, target.name, operation, concurrency=args.concurrency, seconds=args.seconds,
                           max_ops=args.max_ops, server_pid=target.pid)
    if spy is not None:
        await asyncio.to_thread(spy.wait)
    summary = measured.summary()
    print(f"  {summary['server']:<20} {name:<18} {summary['ops_per_s']:>8} ops/s  p99 {summary['p99_ms']} ms"
          f"  errors {summary['errors']}  cpu {summary['server_cpu_ms_per_op']} ms/op"
          f"  load {summary['load_average']:.1f}", flush=True)
    return measured


def argon2_costs(samples: int = 15, core: int | None = None) -> list[float]:
    """CPU ms of ``samples`` argon2id verifications at the portal's default (production)
    parameters, on ``core`` (the server's) when given."""
    defaults = Settings()
    hasher = PasswordHasher(time_cost=defaults.argon2_time_cost, memory_cost=defaults.argon2_memory_kib,
                            parallelism=defaults.argon2_parallelism, type=Type.ID)
    stored = hasher.hash("Bench@2026pass")
    affinity = os.sched_getaffinity(0)
    if core is not None:
        os.sched_setaffinity(0, {core})
    costs = []
    try:
        for _ in range(samples):
            begin = time.process_time()
            hasher.verify(stored, "Bench@2026pass")
            costs.append((time.process_time() - begin) * 1000)
    finally:
        os.sched_setaffinity(0, affinity)
    return costs


def argon2_reference(before: list[float], after: list[float]) -> dict:
    """One verification's CPU: the median of the samples taken before the servers start and
    after they stop. One set taken once at the start once read 22.7 ms where the idle machine
    measured 16.9–17.9 ms minutes later, and the login target read met because of it."""
    defaults = Settings()
    return {"parameters": f"m={defaults.argon2_memory_kib} KiB, t={defaults.argon2_time_cost}, "
                          f"p={defaults.argon2_parallelism}", "verify_cpu_ms": statistics.median(before + after),
            "samples": len(before) + len(after), "before_ms": statistics.median(before),
            "after_ms": statistics.median(after), "login_cpu_ms": {}}


async def postgres_version(url: str) -> str:
    import asyncpg
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()


async def main() -> None:
    args = arguments()
    names = [n for n in args.scenarios.split(",") if n]
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    backends = [b for b in args.backends.split(",") if b]
    pin = servers.pinning()
    server_cores = str(servers.SERVER_CORE) if pin else None
    postgres = await postgres_version(args.postgres_url) if "postgresql" in backends else None
    record = {"started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "versions": report.versions(postgres),
              "settings": {
                  "portal": "one uvicorn worker (uvloop, httptools), log level warning, argon2id at the production "
                            "defaults, background worker on; IDP_ENVIRONMENT=test because production mode refuses "
                            "the test captcha provider, which the benchmark needs (it cannot read an image captcha)",
                  "peer": "oidc-provider, NODE_ENV=production, unbounded Map adapter, opaque access tokens (its "
                          "default), argon2id (@node-rs/argon2) at the same parameters in its login",
                  "both": f"authorization codes live {servers.CODE_TTL_SECONDS} s; RS256 ID tokens; PKCE S256; "
                          "client_secret_basic; the portal's access tokens are ES256 JWTs "
                          "(IDP_ACCESS_TOKEN_SIGNING_ALG)",
                  "load": f"{args.concurrency} concurrent clients, keep-alive, {args.seconds:g} s or {args.max_ops} "
                          f"operations per scenario after {args.warmup:g} s warm-up, loopback",
                  "cores": "server on core 0, driver on core 1 (taskset)" if pin else "not pinned"},
              "results": []}
    argon2_before = argon2_costs(core=servers.SERVER_CORE if pin else None)
    if pin:
        os.sched_setaffinity(0, {servers.DRIVER_CORE})
    measurements: list[Measurement] = []

    def keep(batch: list[Measurement]) -> None:
        measurements.extend(batch)
        record["results"] = [m.summary() for m in measurements]
        report.save_progress(record)

    with tempfile.TemporaryDirectory(prefix="idp-bench-") as scratch:
        logs = Path(scratch)
        async with contextlib.AsyncExitStack() as running:  # all servers up; an idle one costs nothing
            targets = []
            for backend in backends:
                url = await running.enter_async_context(database(backend, args, logs))
                targets.append(await running.enter_async_context(servers.portal(
                    f"portal-{backend}", url, logs, accounts=args.concurrency, cores=server_cores)))
            if not args.no_peer:
                targets.append(await running.enter_async_context(
                    servers.peer(logs, accounts=args.concurrency, cores=server_cores)))
            print("servers: " + ", ".join(f"{t.name} {t.base_url}" for t in targets), flush=True)
            order = {t.name: i for i, t in enumerate(targets)}
            keep(sorted(await run_scenarios(targets, names, args), key=lambda m: order[m.server]))
        record["argon2"] = argon2_reference(argon2_before, argon2_costs(core=servers.SERVER_CORE if pin else None))
        if not args.no_workers and pin:
            record["workers"] = await compare_workers(args, backends[-1], logs, names)
    for m in measurements:
        if m.scenario == "password_login":
            record["argon2"]["login_cpu_ms"][m.server] = m.cpu_ms_per_op
    print(markdown_table(measurements))
    # A profiled run is slowed by the profiler: its table stays beside the profiles.
    path = report.finish(record, measurements, args.profile or report.RESULTS_DIR)
    print(f"written to {path}")


def database(backend: str, args, logs: Path):
    if backend == "postgresql":
        return servers.postgres_database(args.postgres_url)
    if backend != "sqlite":
        raise SystemExit(f"unknown backend {backend}")
    return _sqlite(logs / f"portal-{time.monotonic_ns()}.sqlite3")


class _sqlite:
    def __init__(self, path: Path):
        self.url = f"sqlite+aiosqlite:///{path}"

    async def __aenter__(self) -> str:
        return self.url

    async def __aexit__(self, *_exc) -> None:
        return None


async def compare_workers(args, backend: str, logs: Path, names: list[str]) -> list[dict]:
    """One worker against two, both on both cores (the driver shares them: there is no third)."""
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    chosen = [n for n in WORKER_SCENARIOS if n in names]
    rates = {}
    for workers in (1, 2):
        print(f"portal on {backend}, {workers} worker(s), both cores", flush=True)
        async with database(backend, args, logs) as url, servers.portal(
                f"portal-{backend}-{workers}w", url, logs, accounts=args.concurrency, workers=workers) as target:
            rates[workers] = {m.scenario: m.ops_per_second for m in await run_scenarios([target], chosen, args)}
    return [{"scenario": n, "one": rates[1][n], "two": rates[2][n]} for n in chosen]


if __name__ == "__main__":
    asyncio.run(main())
