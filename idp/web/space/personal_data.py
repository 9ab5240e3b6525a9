"""账号设置 → 个人信息: the page shows what the portal holds about the signed-in account (ID
numbers and mobiles masked); 下载 gives all of it, in full, as a JSON file once the current
password is entered again (a session alone is no proof of who sits at the browser: banks and
the portal's own 修改手机号 ask the same). Gathering lives in idp.space.personal_data."""
from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from idp import clock
from idp.audit.log import record
from idp.errors import DomainError
from idp.space.forms import parse_current_password
from idp.space.personal_data import masked, personal_data
from idp.space.transitions import verify_current_password
from idp.web.kit import CsrfForm, SignedIn, client_ip, portal_of, render_page
from idp.web.space import SETTINGS

router = APIRouter()
PERSONAL_DATA = SETTINGS + "/personal-data"


async def _page(request: Request, session: SignedIn, error: str | None) -> Response:
    portal = portal_of(request)
    async with portal.reader() as db:
        data = await personal_data(db, portal.settings, session.account)
    return render_page("space/personal_data.html", session, data=masked(data), error=error)


@router.get(PERSONAL_DATA)
async def personal_data_page(request: Request, session: SignedIn) -> Response:
    return await _page(request, session, None)


@router.post(PERSONAL_DATA + "/download")
async def personal_data_download(request: Request, session: SignedIn, form: CsrfForm) -> Response:
    portal = portal_of(request)
    try:
        await verify_current_password(portal, session, parse_current_password(form), client_ip(request),
                                      failed_event="account.personal_data_export_failed", reason="wrong_password",
                                      wrong_message="settings.current_password_wrong")
    except DomainError as exc:
        return await _page(request, session, exc.text())
    async with portal.sessionmaker.begin() as db:
        data = await personal_data(db, portal.settings, session.account)
        record(db, "account.personal_data_exported", actor=session.account.subject, source_ip=client_ip(request),
               sid=session.sid)
    filename = f"personal-data-{session.account.username}-{clock.now():%Y%m%d}.json"
    return Response(json.dumps(data, ensure_ascii=False, indent=2), media_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
