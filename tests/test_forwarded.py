"""shared/forwarded.py: which X-Forwarded-For hop is the client, and when the header counts at all."""
from __future__ import annotations

from idp.settings import parse_networks
from shared.forwarded import client_address

PROXIES = parse_networks("10.0.0.0/8, 192.0.2.1")


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address("198.51.100.9", ["203.0.113.1"], ()) == "198.51.100.9"


def test_a_peer_that_is_no_proxy_of_ours_is_the_client_whatever_it_forwards():
    assert client_address("198.51.100.9", ["203.0.113.1"], PROXIES) == "198.51.100.9"


def test_the_rightmost_hop_that_is_not_our_proxy_is_the_client():
    # the client wrote 203.0.113.1 itself; 198.51.100.7 reached our first proxy, which passed it on
    assert client_address("10.0.0.2", ["203.0.113.1, 198.51.100.7", "192.0.2.1"], PROXIES) == "198.51.100.7"


def test_a_malformed_hop_ends_the_walk_at_the_last_trusted_address():
    assert client_address("10.0.0.2", ["not-an-address"], PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", [], PROXIES) == "10.0.0.2"


def test_ipv6_addresses_are_compared_as_addresses():
    assert client_address("::1", ["2001:db8::1"], parse_networks("::1")) == "2001:db8::1"
