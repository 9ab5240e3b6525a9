"""我的互动 → 在线办事反馈: the questions (咨询) this account filed while logged in, with their
status and the help desk's answers (idp.consultations). Only the session's own account is read."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from idp.consultations.queries import for_account
from idp.web.consultations import PROBLEM
from idp.web.consultations.rows import shown
from idp.web.kit import SignedIn, portal_of, render_page
from idp.web.space import FEEDBACK

router = APIRouter()


@router.get(FEEDBACK)
async def feedback_page(request: Request, session: SignedIn) -> Response:
    async with portal_of(request).reader() as db:
        rows = await for_account(db, session.account.id)
    return render_page("space/feedback.html", session, questions=[shown(row) for row in rows], ask_path=PROBLEM)
