"""The address a request came from, as the audit log, the lockout and the counters record it.

Protocol layer: the endpoints and the flows read it; the web kit hands it to the pages.
"""
from __future__ import annotations

from starlette.requests import HTTPConnection


def client_ip(request: HTTPConnection) -> str | None:
    return request.client.host if request.client else None
