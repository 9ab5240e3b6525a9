"""Page plumbing every flow shares: starting a flow bound to this browser, and running one POST
step the one way (load the posted flow, check its state and CSRF, run the transition; a refusal
re-draws the same form with its message, success goes on with 303 See Other)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.captcha.store import issue_captcha
from idp.errors import DomainError
from idp.flows.models import Flow
from idp.flows.store import expect_state, load_flow, start_flow
from idp.limits.rates import hit_now
from idp.oidc.client_address import client_ip
from idp.portal import Portal
from idp.sessions.browser_bound import browser_token, check_csrf
from idp.sessions.store import browser_cookie_name, set_cookie
from idp.web.pages import with_retry_after

Row = TypeVar("Row")


async def new_captcha(db: AsyncSession, portal: Portal) -> str:
    """A captcha for the page being drawn: each is good for one attempt only."""
    return await issue_captcha(portal, db)


def bind_browser(response: Response, portal: Portal, browser: str, is_new: bool) -> Response:
    """Set the browser's binding cookie on ``response`` if the browser had none."""
    if is_new:
        set_cookie(response, portal.settings, browser_cookie_name(portal.settings), browser, None)
    return response


async def start(request: Request, portal: Portal, *, kind: str, state: str, path: str) -> RedirectResponse:
    """A new flow for this browser (setting the binding cookie if it has none), then its page."""
    browser, is_new = browser_token(request, portal.settings)
    async with portal.sessionmaker.begin() as db:
        flow = start_flow(db, kind, state, browser)
    response = RedirectResponse(f"{path}?flow={flow.id}", status_code=303)
    bind_browser(response, portal, browser, is_new)
    return response


def posted_flow(request: Request, portal: Portal, kind: str, *states: str) -> Callable[[FormData], Awaitable[Flow]]:
    """The loader for a form posted for a flow of ``kind``: this browser's, unfinished, with its
    CSRF token, and (if ``states`` are given) at one of them."""

    async def load(form: FormData) -> Flow:
        async with portal.reader() as db:
            flow = await load_flow(db, portal.settings, request, str(form.get("flow") or ""), kind)
        check_csrf(flow, form.get("csrf_token"))
        if states:
            expect_state(flow, *states)
        return flow

    return load


async def run_step(
    request: Request, *,
    load: Callable[[FormData], Awaitable[Row]],
    step: Callable[[FormData, Row], Awaitable[Response | None]],
    refused: Callable[[FormData, Row, DomainError], Awaitable[Response] | Response],
    then: Callable[[Row], str] | None = None,
    limit: str | None = None,
) -> Response:
    """One POST of a flow: ``load`` the posted row (browser, CSRF, state; a PageError is the
    "页面已过期" page), run ``step``; a DomainError re-draws the same form through ``refused``.
    A step that answers itself (a cookie to set) returns its Response; otherwise 303 to ``then(row)``.
    ``limit`` names the rate limit (idp.limits.rates) the source address spends a hit of first,
    committed before the step runs: a step that fails still counted; an exhausted budget is the
    same form with 429 and ``Retry-After``."""
    form = await request.form()
    row = await load(form)
    try:
        if limit is not None:
            await hit_now(request.app.state.portal, (limit, client_ip(request)))
        answer = await step(form, row)
    except DomainError as exc:
        page = refused(form, row, exc)
        return with_retry_after(page if isinstance(page, Response) else await page, exc)
    if answer is not None:
        return answer
    assert then is not None, "a step that answers nothing needs a page to go to"
    return RedirectResponse(then(row), status_code=303)
