"""账号设置 → 国家政务服务平台账号: the account's link to the upstream identity, and 解除关联
(with the account's own password). Registered before the space's router, whose
/space/settings/{key} would otherwise take /space/settings/upstream."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from idp import clock
from idp.errors import DomainError
from idp.flows.upstream.unlink import remove_link
from idp.sessions.store import ActiveSession
from idp.space.forms import parse_current_password
from idp.upstream_links.transitions import links_of_account
from idp.web.kit import CsrfForm, SignedIn, client_ip, portal_of, render_page
from idp.web.space import SETTINGS
from shared.path_ids import parse_id

router = APIRouter()
PAGE = SETTINGS + "/upstream"


async def _page(request: Request, session: ActiveSession, error: DomainError | None = None,
                notice: str | None = None) -> Response:
    portal = portal_of(request)
    async with portal.reader() as db:
        links = await links_of_account(db, session.account.id)
    shown = [{"id": row.id, "linked_at": clock.beijing_text(row.created_at)} for row in links]
    return render_page("space/upstream.html", session, links=shown, error=error.text() if error else None,
                       notice=notice, upstream_name=portal.settings.upstream_display_name,
                       status_code=400 if error else 200)


@router.get(PAGE)
async def upstream_page(request: Request, session: SignedIn, done: str = "") -> Response:
    return await _page(request, session, notice=DomainError("upstream.unlinked").text() if done else None)


@router.post(PAGE + "/unlink")
async def unlink_submit(request: Request, session: SignedIn, form: CsrfForm) -> Response:
    try:
        link_id = parse_id(form.get("link"))
        if link_id is None:
            raise DomainError("upstream.no_link")
        await remove_link(portal_of(request), session, link_id, parse_current_password(form), client_ip(request))
    except DomainError as refusal:
        return await _page(request, session, refusal)
    return RedirectResponse(PAGE + "?done=unlinked", status_code=303)
