"""A fake business system's binding API (shared/binding.py) for the portal's tests.

Answers SYSTEM_STATUS, SYSTEM_CANCEL and SYSTEM_UNLINK from an in-memory table of links,
verifies nothing itself (tests check the recorded JWTs against the portal's JWKS), and records
every call; a host in ``down`` refuses connections like a stopped process, one in ``failing``
answers but fails every binding call.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field

import httpx

STATUS = re.compile(r"^/binding-api/bindings/([^/]+)$")
CANCEL = re.compile(r"^/binding-api/bindings/([^/]+)/cancel$")
UNLINK = re.compile(r"^/binding-api/links/([^/]+)$")


@dataclass
class Call:
    host: str
    method: str
    path: str
    token: str


@dataclass
class FakeSystems:
    # (host, binding id) → {"kind": …, "local_account": …, "sub": …}; cancelled ids are tombstones
    links: dict[tuple[str, str], dict] = field(default_factory=dict)
    cancelled: set[tuple[str, str]] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    down: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)  # up, but every binding call answers 500

    def link(self, host: str, binding_id: str, sub: str, kind: str, local_account: str = "local-1") -> None:
        self.links[(host, binding_id)] = {"kind": kind, "local_account": local_account, "sub": sub}

    def handles(self, request: httpx.Request) -> bool:
        return request.url.path.startswith("/binding-api/")

    def handler(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.method == "HEAD":  # the portal asks whether the system is there (calls.reachable)
            return httpx.Response(404)
        if host in self.failing:
            return httpx.Response(500)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        path = request.url.path
        self.calls.append(Call(host, request.method, path, token))
        if request.method == "GET" and (m := STATUS.match(path)):
            return self._status(host, m.group(1))
        if request.method == "POST" and (m := CANCEL.match(path)):
            key = (host, m.group(1))
            if key not in self.links:
                self.cancelled.add(key)
            return self._status(host, m.group(1))
        if request.method == "DELETE" and (m := UNLINK.match(path)):
            return self._unlink(host, m.group(1), request)
        return httpx.Response(404)

    def _status(self, host: str, binding_id: str) -> httpx.Response:
        link = self.links.get((host, binding_id))
        if link is not None:
            return httpx.Response(200, json={"status": "linked", "kind": link["kind"],
                                             "local_account": link["local_account"]})
        status = "cancelled" if (host, binding_id) in self.cancelled else "unknown"
        return httpx.Response(200, json={"status": status})

    def _unlink(self, host: str, sub: str, request: httpx.Request) -> httpx.Response:
        payload = request.headers["authorization"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        for key, link in list(self.links.items()):
            if key[0] == host and link["sub"] == sub:
                if link["kind"] == "created" and not claims.get("force"):
                    return httpx.Response(409, json={"error": "created_not_unbindable"})
                del self.links[key]
        return httpx.Response(204)
