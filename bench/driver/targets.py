"""The targets of the token hot path, each reported as met or not for every portal backend:
throughput ratio ours/peer ≥ 0.5 and p99 < 50 ms in the token, UserInfo and introspection
scenarios; a password login ≤ 1.3× one argon2id verification; the full SSO flow ≥ 0.9× the peer."""
from __future__ import annotations

from bench.driver.stats import Measurement, ratio

TOKEN_SCENARIOS = ("client_credentials", "code_exchange", "refresh_rotation", "userinfo", "introspection")
MIN_RATIO, MAX_P99_MS, MAX_LOGIN_VERIFICATIONS, MIN_FULL_FLOW_RATIO = 0.5, 50.0, 1.3, 0.9


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def target_lines(measurements: list[Measurement], argon2: dict | None) -> list[str]:
    peer = {m.scenario: m for m in measurements if m.server == "peer"}
    lines = ["## Targets", "", "| target | server | scenario | figure | status |", "|---|---|---|---|---|"]
    for m in measurements:
        if m.server == "peer":
            continue
        if m.scenario in TOKEN_SCENARIOS:
            r = ratio(m, peer.get(m.scenario))
            if r == r:  # not NaN: the peer ran
                lines.append(f"| ours/peer ≥ {MIN_RATIO} | {m.server} | {m.scenario} | {r:.2f} | "
                             f"{_verdict(r >= MIN_RATIO)} |")
            p99 = m.latency_ms(99)
            lines.append(f"| p99 < {MAX_P99_MS:g} ms | {m.server} | {m.scenario} | {p99:.1f} ms | "
                         f"{_verdict(p99 < MAX_P99_MS)} |")
        elif m.scenario == "full_flow" and m.scenario in peer:
            r = ratio(m, peer[m.scenario])
            lines.append(f"| full flow ≥ {MIN_FULL_FLOW_RATIO}× peer | {m.server} | full_flow | {r:.2f} | "
                         f"{_verdict(r >= MIN_FULL_FLOW_RATIO)} |")
        elif m.scenario == "password_login" and argon2 and argon2.get("verify_cpu_ms"):
            times = m.cpu_ms_per_op / argon2["verify_cpu_ms"]
            lines.append(f"| login ≤ {MAX_LOGIN_VERIFICATIONS}× argon2id | {m.server} | password_login | "
                         f"{times:.2f}× | {_verdict(times <= MAX_LOGIN_VERIFICATIONS)} |")
    return lines + [""]
