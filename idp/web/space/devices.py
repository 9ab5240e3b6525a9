"""账号设置 › 登录设备: the account's live sessions (device, address, times, the business systems
each reached), and ending one of them or all but the current one (ASVS 5.0 V7.5.2).

Ending goes the way of every logout (idp.oidc.logout.single_logout): the session row ends, its
online grants are revoked and a back-channel logout token per system is queued in the outbox.
"""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from idp.errors import DomainError, PageError
from idp.oidc.logout.single_logout import end_session_everywhere
from idp.sessions.store import SessionListing, is_live_session_of, live_sessions_of
from idp.web.kit import CsrfForm, SignedIn, client_ip, portal_of, render_page
from idp.web.space import SETTINGS

router = APIRouter()
DEVICES = SETTINGS + "/devices"
NOTICES = {"one": "settings.device_ended", "others": "settings.devices_ended"}
CHINA = dt.timezone(dt.timedelta(hours=8))


def _shown(moment: dt.datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _rows(listings: list[SessionListing], current_sid: str) -> list[dict]:
    """This browser's session first, then the others by last activity."""
    listings = sorted(listings, key=lambda item: item.sid != current_sid)
    return [{"sid": item.sid, "device": item.device or "未知设备", "source_ip": item.source_ip or "未知",
             "created_at": _shown(item.created_at), "last_seen_at": _shown(item.last_seen_at),
             "systems": "、".join(item.systems) or "无", "current": item.sid == current_sid} for item in listings]


@router.get(DEVICES)
async def devices_page(request: Request, session: SignedIn, done: str = "") -> Response:
    portal = portal_of(request)
    async with portal.reader() as db:
        listings = await live_sessions_of(db, portal.settings, session.account.id)
    notice = NOTICES.get(done)
    return render_page("space/devices.html", session, sessions=_rows(listings, session.sid),
                 notice=DomainError(notice).text() if notice else None)


@router.post(DEVICES + "/{sid}/end")
async def end_device(request: Request, sid: str, session: SignedIn, _form: CsrfForm) -> Response:
    """退出 one session: only one of the signed-in account's own live sessions."""
    portal = portal_of(request)
    async with portal.reader() as db:
        owned = await is_live_session_of(db, portal.settings, session.account.id, sid)
    if not owned:
        raise PageError("devices.not_found", status_code=404, detail="not a live session of this account")
    await end_session_everywhere(portal, sid, reason="ended_from_devices", source_ip=client_ip(request))
    return RedirectResponse(DEVICES + "?done=one", status_code=303)


@router.post(DEVICES + "/end-others")
async def end_other_devices(request: Request, session: SignedIn, _form: CsrfForm) -> Response:
    """退出其他所有设备: every live session of the account but this one."""
    portal = portal_of(request)
    async with portal.reader() as db:
        listings = await live_sessions_of(db, portal.settings, session.account.id)
    for item in listings:
        if item.sid != session.sid:
            await end_session_everywhere(portal, item.sid, reason="ended_from_devices", source_ip=client_ip(request))
    return RedirectResponse(DEVICES + "?done=others", status_code=303)
