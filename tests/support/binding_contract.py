"""The binding API's published contract (docs/binding-api/openapi.yaml and its JSON Schemas)
held against real traffic: a transport that records every exchange, and a check of each one
against the operation the document gives for its method and path.

The check reads only the published files, never shared/binding.py: a system team that codes
against the document must get what the portal and the reference systems actually send.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx
import jsonschema
import yaml

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "binding-api" / "openapi.yaml"
SCHEMAS = DOCUMENT.parent / "schemas"


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    authorization: str
    body: bytes
    status: int
    answer: bytes


class Recorder(httpx.AsyncBaseTransport):
    """Passes each request on to ``inner`` and keeps it with its answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport, exchanges: list[Exchange]):
        self.inner, self.exchanges = inner, exchanges

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        response = await self.inner.handle_async_request(request)
        answer = await response.aread()
        self.exchanges.append(Exchange(request.method, request.url.path, request.headers.get("authorization", ""),
                                       body, response.status_code, answer))
        headers = [(k, v) for k, v in response.headers.items()
                   if k.lower() not in ("content-length", "content-encoding")]  # the body is decoded
        return httpx.Response(response.status_code, headers=headers, content=answer, request=request)


@cache
def document() -> dict:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def resolve(node: dict) -> dict:
    """Follow a $ref: within the document (#/…) or to a schema file beside it."""
    while "$ref" in node:
        ref = node["$ref"]
        if ref.startswith("#/"):
            node = document()
            for part in ref[2:].split("/"):
                node = node[part]
        else:
            node = json.loads((DOCUMENT.parent / ref).read_text(encoding="utf-8"))
    return node


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def operation(method: str, path: str) -> tuple[str, dict, dict[str, str]] | None:
    """(template, operation, path parameters) the document gives for this request, or None."""
    for template, item in document()["paths"].items():
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        match = re.match(pattern, path)
        if match and method.lower() in item:
            return template, item[method.lower()], match.groupdict()
    return None


def validate(instance, schema_node: dict) -> None:
    jsonschema.Draft202012Validator(resolve(schema_node)).validate(instance)


def jwt_parts(authorization: str) -> tuple[dict, dict]:
    token = authorization.removeprefix("Bearer ").strip()
    header, claims = (json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in token.split(".")[:2])
    return header, claims


def check(exchange: Exchange) -> str:
    """Validate one exchange against the document; returns its operationId. Raises on any
    mismatch: an undocumented path or status, a body off its schema, a signed request whose
    header, claims or named request differ."""
    found = operation(exchange.method, exchange.path)
    assert found is not None, f"{exchange.method} {exchange.path} is not in the document"
    _, op, names = found
    if any(s.get("portalSignedRequest") is not None for s in op.get("security", [])):
        header, claims = jwt_parts(exchange.authorization)
        validate(header, schema("binding-request-header.json"))
        validate(claims, schema("binding-request-claims.json"))
        action = {"getBindingStatus": "status", "cancelBinding": "cancel", "unlinkSubject": "unlink"}
        assert claims["action"] == action[op["operationId"]], (op["operationId"], claims)
        for name, value in names.items():
            assert claims[name] == value, (name, claims, exchange.path)
    else:
        assert exchange.authorization.lower().startswith("basic "), exchange
    request_body = op.get("requestBody")
    if request_body is None:
        assert not exchange.body, exchange
    elif exchange.body or request_body.get("required"):
        validate(json.loads(exchange.body), request_body["content"]["application/json"]["schema"])
    return check_answer(exchange)


def check_answer(exchange: Exchange) -> str:
    """Validate the answer alone against the status the document gives for its operation."""
    found = operation(exchange.method, exchange.path)
    assert found is not None, f"{exchange.method} {exchange.path} is not in the document"
    op, responses = found[1], found[1]["responses"]
    assert str(exchange.status) in responses, f"{op['operationId']}: status {exchange.status} not documented"
    response = resolve(responses[str(exchange.status)])
    if "content" in response:
        validate(json.loads(exchange.answer), response["content"]["application/json"]["schema"])
    else:
        assert not exchange.answer, exchange
    return op["operationId"]
