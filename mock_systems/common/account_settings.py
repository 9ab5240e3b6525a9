"""The system's own account page, 账号设置: the link to the portal account, with 解除绑定 for a
link to an existing account and 不可解除 for one created by binding. A profile's access gate
(extension.py) may show another page instead, as on the home page.

Unbinding here is the mirror image of 解除绑定 on the portal (docs/binding-protocol.md): the link
goes, and the outbox tells the portal (``ended``) in the same transaction.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from mock_systems.common.binding_outbox import deliver_due, enqueue
from mock_systems.common.context import SystemContext
from mock_systems.common.links import link_of_account, remove_link
from mock_systems.common.models import LinkKind
from mock_systems.common.page_guard import forged, logged_in
from mock_systems.common.pages import message_page, render
from shared.messages import text

router = APIRouter()
ENDED_REASON = "unbound_in_system"


@router.get("/account/settings")
async def settings_page(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    current = await logged_in(request)
    if isinstance(current, Response):
        return current
    session, account = current
    async with system.sessionmaker() as db:
        link = await link_of_account(db, account.id)
    return render(system, "account_settings.html", account=account, session=session, link=link,
                  created=LinkKind.created_by_binding)


@router.post("/account/unbind")
async def unbind(request: Request) -> Response:
    """解除绑定 here: only a link to an existing account; a created one is 不可解除."""
    system: SystemContext = request.app.state.system
    current = await logged_in(request)
    if isinstance(current, Response):
        return current
    session, account = current
    if forged(session, await request.form()):
        return message_page(system, text("page.expired"), 403, "CSRF token mismatch")
    async with system.sessionmaker.begin() as db:
        link = await link_of_account(db, account.id)
        if link is None:
            return message_page(system, text("system.settings.not_linked"), 404)
        if link.kind is LinkKind.created_by_binding:
            return message_page(system, text("system.settings.not_unbindable"), 403, "created_not_unbindable")
        await remove_link(db, link)
        if link.binding_id is not None:
            await enqueue(db, link.issuer, link.binding_id, "ended", {"reason": ENDED_REASON})
    if link.binding_id is not None:
        await deliver_due(system, binding_id=link.binding_id)
    return RedirectResponse("/account/settings", status_code=303)
