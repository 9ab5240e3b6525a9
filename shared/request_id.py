"""The request id: one per HTTP request, on every log line of that request and in its answer.

A caller (a load balancer, a business system, an operator's curl) may send ``X-Request-ID``; it
is kept when it is a short token of safe characters, so one id follows a request across the
portal and the systems' logs. Anything else (too long, spaces, quotes, control characters that
could forge a log line) is replaced by a new id. The id lives in a context variable for the
duration of the request, so every log record made while serving it, by whatever logger, can carry
it (shared/logs.py), and the response returns it in ``X-Request-ID``. Calls made to another
of our servers while serving it (a back-channel logout, a binding call, a system's token request)
send it on (:func:`forward_on`), so one id finds a request's lines in every log it touched.
"""
from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

import httpx

HEADER = "X-Request-ID"
RAW_HEADER = b"x-request-id"  # as ASGI carries header names
SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

current: ContextVar[str | None] = ContextVar("request_id", default=None)


def accepted(incoming: str | None) -> str:
    """The incoming id when it is safe to log, else a new one."""
    if incoming is not None and SAFE_ID.fullmatch(incoming):
        return incoming
    return secrets.token_hex(16)


class RequestId:
    """Pure ASGI middleware: sets :data:`current` while the request is served and answers it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == RAW_HEADER:
                incoming = value.decode("latin-1")
                break
        request_id = accepted(incoming)
        answered = (RAW_HEADER, request_id.encode("latin-1"))

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                # Set, not added (one id per answer), on the raw list: cheaper than MutableHeaders.
                message["headers"] = [header for header in message.get("headers", ())
                                      if header[0].lower() != RAW_HEADER]
                message["headers"].append(answered)
            await send(message)

        token = current.set(request_id)
        await self.app(scope, receive, send_with_id)
        # Not in a finally: an exception leaves the id set, so the server's traceback line (uvicorn
        # logs it in this request's own task, after the application) still carries it.
        current.reset(token)


async def forward_request_id(request: httpx.Request) -> None:
    """httpx request hook: an outgoing call made while serving a request carries its id."""
    request_id = current.get()
    if request_id is not None and HEADER not in request.headers:
        request.headers[HEADER] = request_id


def forward_on(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """``client`` with :func:`forward_request_id` among its request hooks (once)."""
    hooks = client.event_hooks
    if forward_request_id not in hooks["request"]:
        client.event_hooks = {**hooks, "request": [*hooks["request"], forward_request_id]}
    return client
