"""Pure ASGI middleware answering plain routes of fixed paths (the protocol endpoints: token,
UserInfo, introspection, revocation, PAR, discovery, the JWKS; the authorization endpoint and the
login page, every login passes through) by one dictionary lookup, before the framework's own
exception middleware and router.

FastAPI's router tries each included router in turn and matches the chosen one twice; with the
portal's forty-odd routers that, and the layers around it, cost more per request than all of the
portal's own middleware. A request this table does not answer — another path, another method
(the router's 405 with its Allow header), a trailing slash (its redirect) — goes on to the
router exactly as before, so the answers are the same whichever way a request takes.

A path enters the table only when no route registered before it matches it too (the router
takes the first match), and an exception a route raises goes to the application's handler of
its class, as the framework's exception middleware would do.
"""
from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import SimpleNamespace

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

Endpoint = Callable[[Request], Awaitable[Response]]
NOTHING: Mapping[str, Endpoint] = {}


def _plain(route: BaseRoute) -> bool:
    """A Starlette route of a function ``(Request) -> Response`` at a path without parameters
    (FastAPI's APIRoute, a subclass, solves dependencies and stays with the router)."""
    return (type(route) is Route and not route.param_convertors
            and inspect.iscoroutinefunction(route.endpoint))


def exact_table(routes: Iterable[BaseRoute]) -> dict[str, dict[str, Endpoint]]:
    """Path -> method -> endpoint of the plain routes among ``routes`` (in the router's order) that
    no earlier route matches, for any method, unless that earlier route is a plain route of the
    same path (GET and POST of one page, two functions): then each method goes to the first route
    that takes it, as the router would choose."""
    table: dict[str, dict[str, Endpoint]] = {}
    earlier: list[BaseRoute] = []
    for route in routes:
        if _plain(route) and isinstance(route, Route):
            probe = {"type": "http", "path": route.path, "root_path": "", "method": "GET"}
            before = [other for other in earlier if other.matches(probe)[0] is not Match.NONE]
            if all(_plain(other) and getattr(other, "path", None) == route.path for other in before):
                methods = table.setdefault(route.path, {})
                for method in route.methods or ():
                    methods.setdefault(method, route.endpoint)
        earlier.append(route)
    return table


class ExactRoutes:
    def __init__(self, app, *, table: Mapping[str, Mapping[str, Endpoint]], exception_handlers: Mapping) -> None:
        self.app = app
        self.table = table
        self.handlers = exception_handlers  # the application's own dict, filled before it serves

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            endpoint = self.table.get(scope["path"], NOTHING).get(scope["method"])
            if endpoint is not None:
                request = Request(scope, receive, send)
                try:
                    response = await endpoint(request)
                except Exception as exc:
                    handler = self._handler(exc)
                    if handler is None:
                        raise
                    response = await handler(request, exc)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _handler(self, exc: Exception):
        for cls in type(exc).__mro__:
            if cls in self.handlers and cls is not Exception:  # Exception's is the server error's
                return self.handlers[cls]
        return None


def plain_route(router, path: str, methods: list[str]):
    """Register an endpoint ``async (Request) -> Response`` as a plain Starlette route on a FastAPI
    router: no dependency solving or response model in between, which on the token path cost as
    much as a database statement, and at a fixed path this middleware answers it. The endpoint
    reads its parameters from the request itself."""
    template = SimpleNamespace(path=path)

    def register(endpoint):
        async def routed(request: Request) -> Response:
            # FastAPI names the matched route in the scope for its own routes only; the request
            # metrics (shared.metrics) label by it.
            request.scope["route"] = template
            return await endpoint(request)

        router.add_route(path, routed, methods=methods, name=endpoint.__name__)
        return endpoint
    return register
