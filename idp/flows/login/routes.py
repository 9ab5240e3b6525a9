"""The login page: GET renders the window asked for with a fresh captcha; POST runs one
login attempt (transitions in order) and either redirects onwards or renders the same window
again with the message, the login name kept and a new captcha.

Every page belongs to an :class:`Interaction` (an authorization in progress, or a login
started on the portal itself); its CSRF token is checked on every POST.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.models import AccountType
from idp.captcha.store import issue_captcha
from idp.errors import DomainError
from idp.flows.login.agent_login import continue_as_agent
from idp.flows.login.forms import LEGAL, LoginForm, local_path, window_of
from idp.flows.login.second_factor_start import to_second_factor
from idp.flows.login.transitions import (
    Attempt,
    accept_login,
    check_password,
    log_in,
    next_url,
    refuse_if_locked,
    spend_attempt,
)
from idp.flows.web import bind_browser, run_step
from idp.oidc import interactions
from idp.oidc.client_address import client_ip
from idp.oidc.models import Interaction
from idp.portal import Portal
from idp.sessions.devices import describe_device
from idp.sessions.store import load_session, session_cookie_name, set_cookie
from idp.web.pages import render
from shared.exact_routes import plain_route

router = APIRouter()


async def show_login(portal: Portal, row, window: str, login_name: str = "", refusal: DomainError | None = None):
    """The login page in one window, with a captcha issued for this rendering."""
    async with portal.sessionmaker.begin() as db:
        captcha_id = await issue_captcha(portal, db)
    return await login_html(portal, row, window, captcha_id, login_name, refusal)


async def login_html(portal: Portal, row, window: str, captcha_id: str, login_name: str = "",
                     refusal: DomainError | None = None) -> Response:
    """The login page for ``row`` with the captcha ``captcha_id`` already issued."""
    client = await portal.client(row.client_id) if row.client_id else None
    return render(
        "login.html", interaction=row.id, csrf_token=row.csrf_token, window=window, login_name=login_name,
        captcha_id=captcha_id, client_name=client.display_name if client else None,
        upstream_name=portal.settings.upstream_display_name if portal.settings.upstream_enabled else None,
        error=refusal.text() if refusal else None, locked=refusal is not None and refusal.message_id == "login.locked",
        registration=portal.settings.self_registration,
    )


def single_window(portal: Portal) -> bool:
    """A staff deployment's one login window (IDP_LOGIN_WINDOWS=single)."""
    return portal.settings.login_windows == "single"


async def start_portal_login(request: Request, portal: Portal, window: str, return_to: str | None) -> Response:
    """A login started on the portal itself: park an interaction for its CSRF token (and for
    the local page to continue to afterwards) and show the page at once, the interaction and the
    page's captcha written in one transaction (no redirect to /login?interaction=…, which would
    cost a request and a transaction more)."""
    browser, is_new = interactions.browser_token(request, portal.settings)
    async with portal.sessionmaker.begin() as db:
        row = await interactions.create_interaction(db, portal.settings, client_id=None,
                                                    request_json={"return_to": return_to} if return_to else {},
                                                    browser=browser)
        captcha_id = await issue_captcha(portal, db)
    return bind_browser(await login_html(portal, row, window, captcha_id), portal, browser, is_new)


@plain_route(router, "/login", ["GET"])
async def login_page(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    interaction, window, return_to = (request.query_params.get(name) for name in ("interaction", "window", "return_to"))
    if interaction is None:
        return await start_portal_login(request, portal, window_of(window, single_window(portal)),
                                        local_path(return_to))
    async with portal.reader() as db:  # a read: not on SQLite's one writer connection
        row = await interactions.load_interaction(db, portal.settings, request, interaction)
    hint = (row.request.get("authorization") or {}).get("login_hint") or ""
    return await show_login(portal, row, window_of(window, single_window(portal)), hint)


def posted_interaction(request: Request, portal: Portal):
    """The loader for a form posted for an interaction: this browser's, unfinished, with its CSRF token."""

    async def load(form) -> Interaction:
        async with portal.reader() as db:  # a read: not on SQLite's one writer connection
            row = await interactions.load_interaction(db, portal.settings, request, str(form.get("interaction") or ""))
        interactions.check_csrf(row, form.get("csrf_token"))
        return row

    return load


@plain_route(router, "/login", ["POST"])
async def login_submit(request: Request) -> Response:
    portal: Portal = request.app.state.portal

    async def step(posted, row: Interaction) -> Response:
        """One login attempt, the transitions in order."""
        form = LoginForm.parse(posted, single_window(portal))
        async with portal.sessionmaker() as db:
            previous = await load_session(db, portal.settings, request)
        attempt = Attempt(row.client_id, client_ip(request), form.window,
                          describe_device(request.headers.get("user-agent")))
        account = await spend_attempt(portal, form, attempt)
        await refuse_if_locked(portal, account, attempt)
        account = await check_password(portal, account, form.password, attempt)
        if portal.settings.totp_required:  # the session starts only after the code (idp.flows.login.second_factor)
            return await to_second_factor(request, portal, row, account, attempt)
        if form.window == LEGAL and account.account_type == AccountType.personal:
            await accept_login(portal, account, form.password)
            return await continue_as_agent(request, portal, row, account, previous, attempt)
        token = await log_in(portal, account, previous, attempt, password=form.password)
        response = RedirectResponse(next_url(row), status_code=303)
        set_cookie(response, portal.settings, session_cookie_name(portal.settings), token, None)
        return response

    async def refused(posted, row: Interaction, refusal: DomainError) -> Response:
        form = LoginForm.parse(posted, single_window(portal))
        return await show_login(portal, row, form.window, form.login_name, refusal)

    return await run_step(request, load=posted_interaction(request, portal), step=step, refused=refused)


@router.get("/")
async def home(request: Request) -> Response:
    """The portal's front door: the user's space when logged in, else the login page."""
    portal: Portal = request.app.state.portal
    async with portal.sessionmaker.begin() as db:
        session = await load_session(db, portal.settings, request)
    return RedirectResponse("/space" if session is not None else "/login", status_code=303)
