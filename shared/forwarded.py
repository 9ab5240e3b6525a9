"""The client's address behind trusted reverse proxies (X-Forwarded-For), or the TCP peer's.

``X-Forwarded-For`` is a list the client starts and each proxy appends its peer to. Only the
entries appended by proxies we run can be believed: reading from the right, the first address
that is not one of our proxies is the client (the entries left of it are the client's to forge).
When the TCP peer is not a trusted proxy the header is ignored altogether. The middleware puts
the address found into the ASGI scope's ``client``, so everything that reads the request's
address (the audit log, the lockout, the rate limits) reads the same one.
"""
from __future__ import annotations

import functools
import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# Behind our proxies every request asks about the same few peers: the answer is kept (a bounded
# cache; the hops a client writes can only push entries out).
@functools.lru_cache(maxsize=1024)
def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


@functools.lru_cache(maxsize=1024)
def _canonical(hop: str) -> str | None:
    """The address as ipaddress writes it, or None when the hop is not one."""
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: list[str], networks: tuple[Network, ...]) -> str | None:
    """The client's address: ``peer`` unless it is a trusted proxy, then the rightmost
    untrusted hop of ``forwarded_for`` (all its values in order); a malformed hop ends the
    walk there (it is where trust stops)."""
    if peer is None or not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    address = peer
    for hop in reversed(hops):
        canonical = _canonical(hop)
        if canonical is None:
            return address
        address = canonical
        if not _trusted(address, networks):
            return address
    return address  # every hop one of ours: the leftmost is as far as we can see


class TrustedProxies:
    """ASGI middleware: ``scope["client"]`` becomes the client behind the trusted proxies."""

    def __init__(self, app, networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket") and self.networks and scope.get("client"):
            forwarded = [value.decode("latin-1") for name, value in scope.get("headers", ())
                         if name == b"x-forwarded-for"]
            peer = scope["client"][0]
            address = client_address(peer, forwarded, self.networks)
            if address != peer:
                scope = {**scope, "client": (address, 0)}
        await self.app(scope, receive, send)
