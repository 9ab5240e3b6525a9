"""Whether an authorization request's redirect_uri is one the client registered.

The registered string exactly (RFC 9700 §2.1, §4.1.3), with the one exception RFC 8252 §7.3
requires: a native app (a public client) listens on a loopback port the operating system picks
at run time, so its http redirect URI on a loopback IP literal (``127.0.0.1`` or ``[::1]``)
matches on any port, registered with a port or without. Everything but the port stays exact.

``localhost`` gets no such exemption: RFC 8252 §8.3 says to use the IP literal, as a name may
resolve elsewhere or be taken by another interface. (node-oidc-provider and Keycloak also vary
the port of ``localhost``; an app that registered it keeps its exact URI here.) Confidential
clients keep their exact URI too: in production they may not register http URIs at all.
"""
from __future__ import annotations

import re

from idp.clients.registry import ClientInfo

HTTP = "http://"
LOOPBACK_AUTHORITY = re.compile(r"(127\.0\.0\.1|\[::1\])(?::([0-9]{1,5}))?")


def is_registered_redirect_uri(client: ClientInfo, uri: str) -> bool:
    if uri in client.redirect_uris:
        return True
    if not client.is_public:
        return False
    portless = _without_loopback_port(uri)
    return portless is not None and any(_without_loopback_port(r) == portless for r in client.redirect_uris)


def _without_loopback_port(uri: str) -> str | None:
    """An http loopback IP URI without its port, every other character as given; else None."""
    if not uri.startswith(HTTP):
        return None
    rest = uri[len(HTTP):]
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    authority = LOOPBACK_AUTHORITY.fullmatch(rest[:end])
    if authority is None:
        return None
    port = authority.group(2)
    if port is not None and not 0 < int(port) < 65536:
        return None
    return HTTP + authority.group(1) + rest[end:]
