"""The role guard of the staff console (idp.web.staff.kit): every page and form of the console
that declares a role answers 403 to a member without it — found automatically, so each role's
pages are covered as they are added — sends a browser without a console session to sign in, and
shows each member only its own roles' menu entries."""
from __future__ import annotations

import re
from typing import Annotated

import pytest
from fastapi import Depends
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.responses import PlainTextResponse

from idp.staff.roles import ADMIN, AUDITOR, BINDINGS, HELPDESK, OPERATOR, ROLES
from idp.web.staff.kit import StaffMember, staff_form_with, staff_with
from tests.support.staff import add_staff, staff_sign_in

PATH_PARAMETER = re.compile(r"\{[^}]+\}")


def required_role(dependant) -> str | None:
    """The role a route's dependencies require (``staff_role`` of the kit's guards)."""
    for dependency in dependant.dependencies:
        role = getattr(dependency.call, "staff_role", None) or required_role(dependency)
        if role:
            return role
    return None


def api_routes(routes, prefix: str = ""):
    """(path, route) of every APIRoute, included routers' too (FastAPI keeps those as wrappers)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes, prefix + route.include_context.prefix)


def guarded_routes(app) -> list[tuple[str, str, str]]:
    """(method, path with 1 for each path parameter, role) of every console route with a role."""
    found = []
    for path, route in api_routes(app.routes):
        role = required_role(route.dependant) if path.startswith("/staff") else None
        if role:
            found += [(method, PATH_PARAMETER.sub("1", path), role) for method in sorted(route.methods)]
    return found


async def signed_in_client(put, username: str, roles):
    secret = await add_staff(put, username, roles)
    client = put.http()
    await staff_sign_in(client, username, secret=secret)
    return client


async def test_every_route_with_a_role_refuses_a_member_without_it(put):
    routes = guarded_routes(put.app)
    assert {role for _, _, role in routes} >= {ADMIN, OPERATOR}, routes  # 运维's pages and API included
    assert ("POST", "/staff/api/ops/clients/1/disable", OPERATOR) in routes
    clients = {}
    try:
        for role in ROLES:  # one member per role, holding every role but that one
            clients[role] = await signed_in_client(put, f"no_{role}", [r for r in ROLES if r != role])
        for method, path, role in routes:
            response = await clients[role].request(method, path, data={} if method == "POST" else None)
            assert response.status_code == 403, (method, path, role, response.status_code)
            assert "无权访问" in response.text
    finally:
        for client in clients.values():
            await client.aclose()


async def test_every_route_with_a_role_sends_a_stranger_to_sign_in(put):
    async with put.http() as stranger:
        for method, path, _ in guarded_routes(put.app):
            response = await stranger.request(method, path, data={} if method == "POST" else None)
            assert response.status_code == 303 and response.headers["location"] == "/staff/login", (method, path)


@pytest.fixture
async def probe(put):
    """A page and a form guarded for 审计, added for this test only: the kit's own behaviour."""
    async def page(member: Annotated[StaffMember, Depends(staff_with(AUDITOR))]):
        return PlainTextResponse(f"page for {member.username} {sorted(member.roles)}")

    async def form(posted: Annotated[tuple[StaffMember, FormData], Depends(staff_form_with(AUDITOR))]):
        member, data = posted
        return PlainTextResponse(f"form from {member.username}: {data.get('value')}")

    put.app.router.add_api_route("/staff/probe", page, methods=["GET"])
    put.app.router.add_api_route("/staff/probe", form, methods=["POST"])
    yield
    put.app.router.routes[:] = [r for r in put.app.router.routes if getattr(r, "path", "") != "/staff/probe"]


async def test_the_guard_gives_the_member_with_the_role(put, probe):
    client = await signed_in_client(put, "shenji", [AUDITOR])
    try:
        assert (await client.get("/staff/probe")).text == "page for shenji ['auditor']"
        home = await client.get("/staff")
        token = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)
        posted = await client.post("/staff/probe", data={"csrf_token": token, "value": "x"})
        assert posted.text == "form from shenji: x"
        forged = await client.post("/staff/probe", data={"csrf_token": "forged", "value": "x"})
        assert forged.status_code == 403 and "无权访问" not in forged.text  # the CSRF refusal, not the role's
    finally:
        await client.aclose()


async def test_the_guard_refuses_another_role_with_the_403_page(put, probe):
    client = await signed_in_client(put, "kefu", [HELPDESK])
    try:
        page = await client.get("/staff/probe")
        assert page.status_code == 403 and "需要“审计”角色" in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert (await client.post("/staff/probe", data={"value": "x"})).status_code == 403
    finally:
        await client.aclose()


@pytest.mark.parametrize("roles, shown, hidden", [
    ([HELPDESK], ["咨询受理"], ["绑定管理", "审计", "管理员"]),
    ([BINDINGS, AUDITOR], ["绑定管理", "审计"], ["咨询受理", "管理员"]),
    ([ADMIN], ["管理员"], ["咨询受理", "绑定管理", "审计", "运维"]),
    ([OPERATOR], ["运维"], ["咨询受理", "绑定管理", "审计", "管理员"]),
])
async def test_the_menu_shows_only_the_members_roles(put, roles, shown, hidden):
    client = await signed_in_client(put, "member", roles)
    try:
        home = await client.get("/staff")
        menu = re.search(r'<nav class="space-menu staff-menu".*?</nav>', home.text, re.S).group(0)
        assert all(label in menu for label in shown) and not any(label in menu for label in hidden)
    finally:
        await client.aclose()
