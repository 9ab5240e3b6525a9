"""Page plumbing that 忘记密码 and 用户解锁 share: starting a flow bound to this browser,
loading it from a posted form, running one step, and a fresh graphic captcha for every
first-step page."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.captcha.store import issue_captcha
from idp.errors import DomainError, PageError
from idp.flows.models import Flow
from idp.flows.store import EXPIRED, check_flow_csrf, load_flow, start_flow
from idp.oidc.interactions import browser_token
from idp.portal import Portal
from idp.sessions.store import browser_cookie_name, set_cookie


def source_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def new_captcha(db: AsyncSession, portal: Portal) -> str:
    """A captcha for the page being drawn: each is good for one attempt only."""
    return await issue_captcha(portal, db)


async def start(request: Request, portal: Portal, *, kind: str, state: str, path: str) -> RedirectResponse:
    """A new flow for this browser (setting the binding cookie if it has none), then its page."""
    browser, is_new = browser_token(request, portal.settings)
    async with portal.sessionmaker.begin() as db:
        flow = start_flow(db, kind, state, browser)
    response = RedirectResponse(f"{path}?flow={flow.id}", status_code=303)
    if is_new:
        set_cookie(response, portal.settings, browser_cookie_name(portal.settings), browser, None)
    return response


async def posted_flow(request: Request, portal: Portal, form, kind: str) -> Flow:
    """The flow a form was posted for: this browser's, unfinished, with its CSRF token."""
    async with portal.reader() as db:
        flow = await load_flow(db, portal.settings, request, str(form.get("flow") or ""), kind)
    check_flow_csrf(flow, form.get("csrf_token"))
    return flow


def expect_state(flow: Flow, *states: str) -> None:
    """A form posted for a step the flow has left (another tab, the back button)."""
    if flow.state not in states:
        raise PageError(EXPIRED, status_code=409, detail=f"flow is in state {flow.state}")


def contact_values(flow: Flow) -> dict:
    """The 登录账号 / 找回方式 / 手机号或邮箱 a flow was given, to show them again."""
    data = flow.data
    return {"username": data.get("login", ""), "channel": data.get("channel", "sms"),
            "destination": data.get("destination", "")}


async def run_step(
    request: Request, portal: Portal, *, kind: str, state: str,
    step: Callable[[object, Flow], Awaitable[None]],
    refused: Callable[[object, Flow, DomainError], Awaitable[Response]],
    then: Callable[[Flow], str],
) -> Response:
    """One POST of a flow: load it (browser, CSRF), check it is at ``state``, run ``step``;
    a DomainError re-draws the same form through ``refused``, success goes 303 to ``then(flow)``."""
    form = await request.form()
    flow = await posted_flow(request, portal, form, kind)
    expect_state(flow, state)
    try:
        await step(form, flow)
    except DomainError as exc:
        return await refused(form, flow, exc)
    return RedirectResponse(then(flow), status_code=303)
