"""我的消息 in the signed-in space: the account's own notes, newest first (idp.inbox).

Only the session's own account is ever read; an agent acting for an enterprise sees its own
notes, as 账号设置 shows its own data.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from idp import clock
from idp.inbox.store import latest_messages
from idp.web.kit import SignedIn, portal_of, render_page
from idp.web.space import MESSAGES

router = APIRouter()


@router.get(MESSAGES)
async def messages_page(request: Request, session: SignedIn) -> Response:
    async with portal_of(request).reader() as db:
        rows = await latest_messages(db, session.account.id)
    shown = [{"kind": row.kind, "title": row.title, "body": row.body, "at": clock.beijing_text(row.created_at)}
             for row in rows]
    return render_page("space/messages.html", session, messages=shown)
