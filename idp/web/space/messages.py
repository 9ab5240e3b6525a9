"""我的消息 in the signed-in space: the account's own notes, newest first, a page at a time
(keyset: ``?before=<id>`` of the last note shown), and what opening the page means: the notes it
shows are read (idp.inbox.transitions.mark_read), those read for the first time are marked 新
on this visit, and the header's unread count is the one after that.

Only the session's own account is ever read; an agent acting for an enterprise sees its own
notes, as 账号设置 shows its own data.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from idp import clock
from idp.inbox.store import page_of_messages, unread_count
from idp.inbox.transitions import mark_read
from idp.web.kit import SignedIn, portal_of, render_page
from idp.web.space import MESSAGES
from shared.path_ids import parse_id

router = APIRouter()


@router.get(MESSAGES)
async def messages_page(request: Request, session: SignedIn, before: str = "") -> Response:
    account_id = session.account.id
    cursor = parse_id(before)
    async with portal_of(request).sessionmaker.begin() as db:
        page = await page_of_messages(db, account_id, cursor)
        first_read = await mark_read(db, account_id, [row.id for row in page.messages if row.read_at is None])
        unread = await unread_count(db, account_id)
    shown = [{"id": row.id, "kind": row.kind, "title": row.title, "body": row.body,
              "at": clock.beijing_text(row.created_at), "new": row.id in first_read} for row in page.messages]
    return render_page("space/messages.html", session, messages=shown, older=page.older, paged=cursor is not None,
                       unread_messages=unread)
