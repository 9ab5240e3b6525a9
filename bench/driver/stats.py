"""What one measured run of a scenario comes to (throughput, latency percentiles, errors,
server CPU per operation) and the table that puts the portal beside the peer."""
from __future__ import annotations

import math
from dataclasses import dataclass, field


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation between closest ranks (numpy's
    default), so p50 of an even count is the mean of the middle two."""
    if not values:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError("q is between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Measurement:
    """One scenario against one server: latencies in seconds of the operations that succeeded."""

    scenario: str
    server: str
    concurrency: int
    elapsed: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    server_cpu: float = 0.0  # seconds of CPU the server's processes used during the run
    driver_cpu: float = 0.0
    load_average: float = math.nan  # the machine's 1-minute load average at the end: others' work

    @property
    def ops(self) -> int:
        return len(self.latencies)

    @property
    def ops_per_second(self) -> float:
        return self.ops / self.elapsed if self.elapsed > 0 else 0.0

    def latency_ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    @property
    def cpu_ms_per_op(self) -> float:
        return self.server_cpu * 1000 / self.ops if self.ops else math.nan

    def summary(self) -> dict:
        return {"scenario": self.scenario, "server": self.server, "concurrency": self.concurrency,
                "ops": self.ops, "elapsed_s": round(self.elapsed, 3), "ops_per_s": round(self.ops_per_second, 1),
                "p50_ms": round(self.latency_ms(50), 2), "p95_ms": round(self.latency_ms(95), 2),
                "p99_ms": round(self.latency_ms(99), 2), "errors": self.errors, "first_error": self.first_error,
                "server_cpu_ms_per_op": round(self.cpu_ms_per_op, 3),
                "driver_cpu_share": round(self.driver_cpu / self.elapsed, 2) if self.elapsed else None,
                "load_average": self.load_average}


def ratio(ours: Measurement, peer: Measurement | None) -> float:
    """Ours over the peer's throughput; NaN when there is no peer figure to compare with."""
    if peer is None or peer.ops_per_second == 0:
        return math.nan
    return ours.ops_per_second / peer.ops_per_second


def cpu_ratio(ours: Measurement, peer: Measurement | None) -> float:
    """The peer's CPU per operation over ours: above 1 we do the same work with less CPU. Less
    disturbed than throughput by other load on the machine, which takes cores, not cycles per op."""
    if peer is None or not ours.ops or not peer.ops or ours.server_cpu == 0:
        return math.nan
    return peer.cpu_ms_per_op / ours.cpu_ms_per_op


COLUMNS = ("scenario", "server", "ops/s", "p50 ms", "p95 ms", "p99 ms", "errors", "CPU ms/op", "ours/peer",
           "CPU peer/ours")


def _number(value: float, digits: int = 1) -> str:
    return "—" if math.isnan(value) else f"{value:.{digits}f}"


def table_rows(measurements: list[Measurement], peer_name: str = "peer") -> list[tuple[str, ...]]:
    """One row per measurement, in the given order; each of ours carries its ratio to the peer's
    measurement of the same scenario."""
    peers = {m.scenario: m for m in measurements if m.server == peer_name}
    rows = []
    for m in measurements:
        peer = peers.get(m.scenario)
        share = "" if m.server == peer_name else _number(ratio(m, peer), 2)
        cpu_share = "" if m.server == peer_name else _number(cpu_ratio(m, peer), 2)
        rows.append((m.scenario, m.server, _number(m.ops_per_second), _number(m.latency_ms(50)),
                     _number(m.latency_ms(95)), _number(m.latency_ms(99)), str(m.errors),
                     _number(m.cpu_ms_per_op, 2), share, cpu_share))
    return rows


def markdown_table(measurements: list[Measurement], peer_name: str = "peer") -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(measurements, peer_name)]
    return "\n".join(lines)
