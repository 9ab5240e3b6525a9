"""The benchmark's record: the versions and settings a run used, the table, and the files in
bench/results/ (a run in progress writes to an ignored file and is renamed when complete)."""
from __future__ import annotations

import datetime as dt
import json
import platform
import sqlite3
import subprocess
from importlib import metadata
from pathlib import Path

from bench.driver.stats import Measurement, markdown_table
from bench.driver.targets import target_lines
from idp.settings import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
IN_PROGRESS = RESULTS_DIR / "run-in-progress.json.tmp"  # ignored by .gitignore


def _run(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def versions(postgres_version: str | None) -> dict:
    peer_package = PROJECT_ROOT / "bench" / "peer" / "node_modules" / "oidc-provider" / "package.json"
    dirty = _run(["git", "status", "--porcelain", "--", "idp", "shared"]) not in ("", "unknown")
    return {
        "portal_commit": _run(["git", "rev-parse", "--short", "HEAD"]) + (" (+ uncommitted changes)" if dirty else ""),
        "python": platform.python_version(),
        **{name: metadata.version(name) for name in ("uvicorn", "fastapi", "SQLAlchemy", "argon2-cffi", "aiohttp")},
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version or "not run",
        "node": _run(["node", "--version"]),
        "oidc-provider": json.loads(peer_package.read_text())["version"] if peer_package.exists() else "not installed",
        "cpu": f"{_cpu_model()} × {len(__import__('os').sched_getaffinity(0))}",
        "kernel": platform.release(),
    }


def save_progress(record: dict) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    IN_PROGRESS.write_text(json.dumps(record, ensure_ascii=False, indent=1))


def markdown(record: dict, measurements: list[Measurement]) -> str:
    lines = [f"# Benchmark {record['started']}", "", "## Setup", ""]
    lines += [f"- {key}: {value}" for key, value in record["versions"].items()]
    lines += [f"- {key}: {value}" for key, value in record["settings"].items()]
    loads = [m.load_average for m in measurements if m.load_average == m.load_average]  # not NaN
    if loads:
        lines.append(f"- machine load average (1 min) after each measurement: {min(loads):.1f}–{max(loads):.1f} "
                     "(the server and the driver account for up to 2; the rest is other work on the machine)")
    lines += ["", "## Results (one uvicorn worker; ours/peer is the throughput ratio)", "",
              markdown_table(measurements), ""]
    if record.get("argon2"):
        a = record["argon2"]
        lines += ["## Password login against one argon2id verification", "",
                  f"- one argon2id verification ({a['parameters']}): {a['verify_cpu_ms']:.1f} ms CPU (median of "
                  f"{a['samples']}, half before the servers started and half after they stopped, on the server's "
                  f"core: {a['before_ms']:.1f} and {a['after_ms']:.1f} ms)"]
        lines += [f"- {server}: a password login costs {cost:.1f} ms of server CPU = {cost / a['verify_cpu_ms']:.2f}× "
                  "one verification" for server, cost in a["login_cpu_ms"].items()]
        lines.append("")
    lines += target_lines(measurements, record.get("argon2"))
    if record.get("workers"):
        lines += ["## Two workers against one (server and driver share both cores)", "",
                  "| scenario | 1 worker ops/s | 2 workers ops/s | ratio |", "|---|---|---|---|"]
        lines += [f"| {row['scenario']} | {row['one']:.1f} | {row['two']:.1f} | {row['two'] / row['one']:.2f} |"
                  for row in record["workers"]]
        lines.append("")
    failures = [m for m in measurements if m.errors]
    if failures:
        lines += ["## Errors", ""] + [f"- {m.server} {m.scenario}: {m.errors}, first: {m.first_error}"
                                       for m in failures] + [""]
    return "\n".join(lines)


def finish(record: dict, measurements: list[Measurement], directory: Path = RESULTS_DIR) -> Path:
    """Write the run's markdown and JSON under a name with its date; drop the in-progress file."""
    stamp = dt.datetime.fromisoformat(record["started"]).strftime("%Y-%m-%dT%H%M")
    path = directory / f"{stamp}.md"
    path.write_text(markdown(record, measurements))
    path.with_suffix(".json").write_text(json.dumps(record, ensure_ascii=False, indent=1))
    IN_PROGRESS.unlink(missing_ok=True)
    return path
