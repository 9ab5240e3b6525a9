"""Ports for the servers the tests, the benchmark and `make run` start: two processes choosing at
once never get the same one, and none comes from the range outgoing connections take theirs
from."""
import subprocess
import sys

from shared.processes import PROJECT_ROOT, ephemeral_range, free_ports, reserve

HOLDER = """
import sys
from shared.processes import free_ports
print(*free_ports(20), flush=True)
sys.stdin.read()
"""


def test_ports_are_distinct_and_outside_the_ephemeral_range():
    low, high = ephemeral_range()
    ports = free_ports(50)
    assert len(set(ports)) == 50
    assert not [port for port in ports if low <= port <= high]


def test_a_port_another_process_chose_is_not_handed_out_until_it_exits():
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], cwd=PROJECT_ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        held = [int(port) for port in holder.stdout.readline().split()]
        assert len(held) == 20
        assert not [port for port in held if reserve(port)]
    finally:
        holder.communicate("")
    assert all(reserve(port) for port in held)


def test_a_port_this_process_chose_is_not_chosen_again():
    first = free_ports(10)
    assert not [port for port in first if reserve(port)]
