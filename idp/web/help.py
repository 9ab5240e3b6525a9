"""常见问题 and 新手指导: GET /help/faq (with ?q= to search both pages' entries) and GET /help/guide.
The entries come from idp/help's data files, loaded and checked by the app factory at start-up.

Layer: web.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from idp.help.entries import Library
from idp.help.search import MAX_QUERY_LENGTH, search
from idp.web.pages import render
from shared.messages import text

router = APIRouter()
HELP = "/help"
FAQ = HELP + "/faq"  # 常见问题
GUIDE = HELP + "/guide"  # 新手指导
CONSULT = "/problem?ssywxt=ZWFW"  # 咨询 about the portal itself (the guides' address)


def _library(request: Request) -> Library:
    return request.app.state.help


@router.get(HELP)
async def help_home() -> Response:
    return RedirectResponse(FAQ, status_code=303)


@router.get(FAQ)
async def faq_page(request: Request, q: str = "") -> Response:
    library = _library(request)
    query = q.strip()
    if len(query) > MAX_QUERY_LENGTH:
        return render("help/faq.html", status_code=400, entries=library.faq, query=query[:MAX_QUERY_LENGTH],
                      results=None, error=text("help.query_too_long", max=MAX_QUERY_LENGTH), consult=CONSULT)
    results = search(library.entries, query) if query else None
    return render("help/faq.html", entries=library.faq, query=query, results=results, error=None, consult=CONSULT)


@router.get(GUIDE)
async def guide_page(request: Request) -> Response:
    return render("help/guide.html", entries=_library(request).guide, consult=CONSULT)
