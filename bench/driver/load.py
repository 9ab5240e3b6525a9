"""Running one operation from many concurrent clients, bounded in count and in time, and
measuring the server's CPU over the same interval (from /proc, the server's whole process tree)."""
from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.driver.stats import Measurement

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class OperationFailed(Exception):
    """An operation got an answer other than the one the scenario expects."""


class Exhausted(Exception):
    """What the operation consumes (a pool of authorization codes) is used up: the run ends."""


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def process_tree_cpu(pid: int) -> float:
    """User plus system CPU seconds of ``pid`` and its descendants (uvicorn's workers)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
        pending += _children(current)
    return total


Operation = Callable[[int], Awaitable[None]]


async def drive(scenario: str, server: str, operation: Operation, *, concurrency: int, seconds: float,
                max_ops: int, server_pid: int) -> Measurement:
    """Call ``operation(worker)`` from ``concurrency`` workers, each waiting for its answer before
    the next call, until ``seconds`` pass or ``max_ops`` operations were started."""
    started_ops = 0
    measurement = Measurement(scenario, server, concurrency, 0.0)

    async def worker(index: int) -> None:
        nonlocal started_ops
        while started_ops < max_ops and time.perf_counter() < deadline:
            started_ops += 1
            begin = time.perf_counter()
            try:
                await operation(index)
            except Exhausted:
                started_ops -= 1
                return
            except Exception as exc:  # every failure is counted and the first one kept for the report
                measurement.errors += 1
                measurement.first_error = measurement.first_error or f"{type(exc).__name__}: {exc}"[:300]
                continue
            measurement.latencies.append(time.perf_counter() - begin)

    cpu_before, driver_before = process_tree_cpu(server_pid), time.process_time()
    begin = time.perf_counter()
    deadline = begin + seconds
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    measurement.elapsed = time.perf_counter() - begin
    measurement.server_cpu = process_tree_cpu(server_pid) - cpu_before
    measurement.driver_cpu = time.process_time() - driver_before
    measurement.load_average = os.getloadavg()[0]
    return measurement
