"""我的消息 in the signed-in space: the account's own notes, newest first (idp.inbox).

Only the session's own account is ever read; an agent acting for an enterprise sees its own
notes, as 账号设置 shows its own data.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from idp import clock
from idp.inbox.store import latest_messages
from idp.space.routes import _page, _portal, _signed_in, _to_login

router = APIRouter()


@router.get("/space/messages")
async def messages_page(request: Request) -> Response:
    session = await _signed_in(request)
    if session is None:
        return _to_login()
    async with _portal(request).reader() as db:
        rows = await latest_messages(db, session.account.id)
    shown = [{"kind": row.kind, "title": row.title, "body": row.body, "at": clock.beijing_text(row.created_at)}
             for row in rows]
    return _page("space/messages.html", session, messages=shown)
