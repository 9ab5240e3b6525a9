"""公共服务 (seed 001 第三步, the second way into a system): GET /services lists the catalogue's
事项 by theme, and GET /services/<id>/online (在线办理) takes the user into the system that
handles it — a bound user straight through the single sign-on (/sso/<client_id>), an unbound
one to 授权绑定 first, a logged-out one to the login (and back here afterwards).

Layer: web.
"""
from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from idp.bindings.transitions import live_binding
from idp.portal import Portal
from idp.public_services.catalogue import ID, ServiceCatalogue
from idp.sessions.store import load_session
from idp.web.pages import error_page, render
from shared.binding import PORTAL_BINDINGS_PAGE

router = APIRouter()
SERVICES = "/services"


def _catalogue(request: Request) -> ServiceCatalogue:
    return request.app.state.public_services


@router.get(SERVICES)
async def services_page(request: Request, theme: str = "") -> Response:
    catalogue = _catalogue(request)
    portal: Portal = request.app.state.portal
    chosen = theme if theme in catalogue.themes else ""
    rows = []
    for service in catalogue.in_theme(chosen):
        client = await portal.client(service.system)
        if client is not None:  # a system taken out of the catalogue takes its 事项 along
            rows.append((service, client.display_name))
    return render("services/list.html", themes=catalogue.themes, theme=chosen, rows=rows)


@router.get(SERVICES + "/{service_id}/online")
async def handle_online(request: Request, service_id: str) -> Response:
    """在线办理."""
    service = _catalogue(request).find(service_id) if ID.match(service_id) else None
    portal: Portal = request.app.state.portal
    client = await portal.client(service.system) if service is not None else None
    if service is None or client is None:
        return error_page("services.no_such_item", 404, "unknown service")
    async with portal.sessionmaker.begin() as db:
        session = await load_session(db, portal.settings, request)
    if session is None:
        here = f"{SERVICES}/{quote(service.id, safe='')}/online"
        return RedirectResponse("/login?" + urlencode({"return_to": here}), status_code=303)
    principal = session.principal
    # An agent cannot bind (its legal person does, in 经办人授权): /sso tells it so.
    if client.binding_start_uri and not principal.is_agent:
        async with portal.reader() as db:
            binding = await live_binding(db, principal.account.id, client.client_id, principal.agency_id)
        if binding is None or binding.state != "active":
            return RedirectResponse(f"{PORTAL_BINDINGS_PAGE}/{quote(client.client_id, safe='')}", status_code=303)
    return RedirectResponse(f"/sso/{quote(client.client_id, safe='')}", status_code=303)
