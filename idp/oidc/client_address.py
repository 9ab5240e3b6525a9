"""The address a request came from, as the audit log, the lockout and the counters record it.

Protocol layer: the endpoints and the flows read it; the web kit hands it to the pages. Behind
the proxies of IDP_TRUSTED_PROXIES it is the client they forwarded (shared/forwarded.py, the
outermost middleware, has already put it on the scope); otherwise the TCP peer.
"""
from __future__ import annotations

from starlette.requests import HTTPConnection


def client_ip(request: HTTPConnection) -> str | None:
    return request.client.host if request.client else None
