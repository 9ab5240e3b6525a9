"""The benchmark's arithmetic: percentiles, throughput, CPU per operation and the ours/peer
ratio that docs/performance.md quotes."""
import math

import pytest

from bench.driver.stats import Measurement, cpu_ratio, markdown_table, percentile, ratio, table_rows


def test_percentile_interpolates_between_closest_ranks():
    values = [4.0, 1.0, 3.0, 2.0]  # unsorted on purpose
    assert percentile(values, 50) == 2.5
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)


def test_percentile_of_nothing_is_not_a_number_and_q_is_checked():
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def measured(server: str, scenario: str, ops: int, elapsed: float, cpu: float = 0.0) -> Measurement:
    return Measurement(scenario, server, 16, elapsed, latencies=[0.01] * ops, server_cpu=cpu)


def test_throughput_and_cpu_per_operation():
    m = measured("portal-sqlite", "userinfo", ops=500, elapsed=2.0, cpu=1.5)
    assert m.ops_per_second == 250.0
    assert m.cpu_ms_per_op == 3.0
    assert m.summary()["p99_ms"] == 10.0


def test_ratio_is_ours_over_the_peer_of_the_same_scenario():
    ours = measured("portal-sqlite", "userinfo", ops=300, elapsed=1.0, cpu=0.6)  # 2 ms/op
    peer = measured("peer", "userinfo", ops=200, elapsed=1.0, cpu=0.2)  # 1 ms/op
    other = measured("peer", "introspection", ops=900, elapsed=1.0, cpu=0.9)
    assert ratio(ours, peer) == 1.5
    assert cpu_ratio(ours, peer) == 0.5  # twice the peer's CPU per operation
    assert math.isnan(ratio(ours, None))
    rows = table_rows([ours, peer, other])
    assert rows[0][-2:] == ("1.50", "0.50")
    assert rows[1][-2:] == ("", "")  # the peer's own rows carry no ratio


def test_a_scenario_the_peer_did_not_run_shows_a_dash():
    table = markdown_table([measured("portal-postgresql", "full_flow", ops=10, elapsed=1.0)])
    assert table.splitlines()[2].endswith("| — | — |")
    assert table.splitlines()[0].startswith("| scenario | server | ops/s")
