"""Profiles of the server's hot paths for docs/performance.md: py-spy samples the portal's
uvicorn process during a measured run; the collapsed stacks are summed per function (the time
a function is on the stack, its callees included) and per leaf (where the CPU really goes)."""
from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

PY_SPY = Path(sys.executable).parent / "py-spy"


def start(pid: int, seconds: float, output: Path) -> subprocess.Popen:
    """Sample ``pid`` (and its subprocesses) for ``seconds`` into collapsed stacks at ``output``: only
    the thread holding the GIL, which is Python work (waits and the database threads are left out)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--subprocesses", "--duration",
                             str(max(1, int(seconds))), "--rate", "250", "--gil", "--format", "raw",
                             "--output", str(output)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# Frames every request passes through (server, framework, event loop): left out of the inclusive
# list, where they would fill the top rows at ~100% and say nothing about the hot path.
PLUMBING = ("uvicorn/", "starlette/", "fastapi/", "click/", "asyncio/", "<frozen runpy>", "process ")


def _frame(frame: str) -> str:
    # "function (path/to/module.py:123)" → "function (module.py)"; drop the line number.
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.rstrip(')').rsplit(':', 1)[0]).name})" if where else name


def summarize(collapsed: Path, top: int = 25) -> str:
    inclusive: collections.Counter = collections.Counter()
    leaves: collections.Counter = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        raw = stack.split(";")
        frames = [_frame(f) for f in raw]
        total += int(count)
        leaves[frames[-1]] += int(count)
        for frame in {_frame(f) for f in raw if not any(p in f for p in PLUMBING)}:
            inclusive[frame] += int(count)
    if not total:
        return "no samples"
    lines = [f"{total} samples of the thread holding the GIL", "",
             "on the stack (inclusive; server, framework and event-loop frames left out):"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    lines += ["", "where the CPU is (leaf):"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in leaves.most_common(top)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 25))
