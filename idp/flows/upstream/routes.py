"""国家政务服务平台账号登录's pages: /login/upstream (from either login window) sends the browser
upstream; /upstream/callback takes the answer (RFC 9207 ``iss``, then the code); a first login
finishes on /upstream/first (关联 an existing account by its password, or 创建账号). Afterwards the
browser goes where the login was for: back into a parked authorization, or the user's space."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from idp.audit.log import record
from idp.errors import DomainError, PageError
from idp.flows import store
from idp.flows.login.forms import LEGAL, window_of
from idp.flows.login.transitions import Attempt, next_url
from idp.flows.models import Flow
from idp.flows.upstream import client, transitions
from idp.flows.upstream.forms import parse_new_account, parse_password
from idp.flows.upstream.states import UPSTREAM, State
from idp.flows.web import bind_browser, posted_flow, run_step
from idp.limits.rates import hit_now
from idp.oidc import interactions
from idp.oidc.client_address import client_ip
from idp.portal import Portal
from idp.sessions.browser_bound import browser_token
from idp.sessions.devices import describe_device
from idp.sessions.store import load_session, session_cookie_name, set_cookie
from idp.web.pages import render

router = APIRouter()


def _portal(request: Request) -> Portal:
    return request.app.state.portal


def _attempt(request: Request, flow: Flow) -> Attempt:
    return Attempt(flow.data.get("client_id"), client_ip(request), flow.data["window"],
                   describe_device(request.headers.get("user-agent")))


async def _finish(request: Request, flow: Flow, token: str) -> Response:
    """Logged in: back where the login was for (the parked request, while it is this browser's)."""
    portal = _portal(request)
    async with portal.sessionmaker() as db:
        row = await interactions.load_interaction(db, portal.settings, request, flow.data["interaction"])
    response = RedirectResponse(next_url(row), status_code=303)
    set_cookie(response, portal.settings, session_cookie_name(portal.settings), token, None)
    return response


@router.get("/login/upstream")
async def go_upstream(request: Request, interaction: str = "", window: str = "") -> Response:
    """其他方式登录 → 国家政务服务平台账号登录: a flow for this trip, then the upstream's login."""
    portal = _portal(request)
    if not portal.settings.upstream_enabled:
        raise PageError("upstream.not_configured", status_code=404, detail="IDP_UPSTREAM_DISCOVERY_URL is not set")
    async with portal.sessionmaker() as db:  # the login page's parked request: this browser's, unfinished
        row = await interactions.load_interaction(db, portal.settings, request, interaction)
    # A trip upstream counts as a login attempt from this address (each leaves a flow row behind).
    await hit_now(portal, ("login_per_address", client_ip(request)))
    upstream = await client.discover(portal.settings)  # before anything is written: down, nothing started
    browser, is_new = browser_token(request, portal.settings)
    async with portal.sessionmaker.begin() as db:
        flow = transitions.start(db, browser, interaction=row.id, client_id=row.client_id, window=window_of(window))
    url = client.authorization_url(portal.settings, upstream, state=flow.id, nonce=flow.data["nonce"],
                                   code_verifier=flow.data["code_verifier"])
    return bind_browser(RedirectResponse(url, status_code=303), portal, browser, is_new)


@router.get(client.CALLBACK_PATH)
async def callback(request: Request) -> Response:
    """The authorization response (OIDC Core §3.1.2.5, RFC 9207 §2.4); a refusal is audited."""
    portal = _portal(request)
    params = request.query_params
    async with portal.reader() as db:  # ``state`` names a flow of this browser, still waiting
        flow = await store.load_flow(db, portal.settings, request, params.get("state", ""), UPSTREAM)
    store.expect_state(flow, State.SENT)
    try:
        return await _returned(request, flow)
    except client.UpstreamError as refusal:
        async with portal.sessionmaker.begin() as db:
            record(db, "upstream.login_failed", outcome="failure", source_ip=client_ip(request),
                   client_id=flow.data.get("client_id"), reason=refusal.message_id, detail=refusal.detail[:200],
                   window=flow.data["window"])
        raise


async def _returned(request: Request, flow: Flow) -> Response:
    portal = _portal(request)
    params = request.query_params
    upstream = await client.discover(portal.settings)
    client.check_iss(upstream, params.get("iss"))
    if "error" in params or not params.get("code"):
        raise client.UpstreamError("upstream.cancelled", status_code=400,
                                   detail=f"upstream error {params.get('error')!r}"[:200])
    identity = await client.redeem(portal.settings, upstream, code=params["code"],
                                   code_verifier=flow.data["code_verifier"], nonce=flow.data["nonce"])
    async with portal.sessionmaker.begin() as db:
        previous = await load_session(db, portal.settings, request)
    outcome = await transitions.returned(portal, flow, identity, previous, _attempt(request, flow))
    if outcome.token is not None:
        return await _finish(request, flow, outcome.token)
    return RedirectResponse("/upstream/first?" + urlencode({"flow": flow.id}), status_code=303)


async def _first_page(request: Request, flow: Flow, refusal: DomainError | None = None) -> Response:
    portal = _portal(request)
    candidate = await transitions.candidate_of(portal, flow)
    data = flow.data["vouched"]
    return render("upstream/first.html", status_code=400 if refusal else 200, flow=flow.id, csrf_token=flow.csrf_token,
                  legal=flow.data["window"] == LEGAL, vouched=data, candidate=candidate,
                  upstream_name=portal.settings.upstream_display_name, error=refusal.text() if refusal else None)


@router.get("/upstream/first")
async def first_login(request: Request, flow: str = "") -> Response:
    portal = _portal(request)
    async with portal.reader() as db:
        row = await store.load_flow(db, portal.settings, request, flow, UPSTREAM)
    store.expect_state(row, State.FIRST)
    return await _first_page(request, row)


async def _previous(request: Request):
    portal = _portal(request)
    async with portal.sessionmaker.begin() as db:
        return await load_session(db, portal.settings, request)


@router.post("/upstream/link")
async def link_existing(request: Request) -> Response:
    """关联: the existing account's password, once."""
    portal = _portal(request)

    async def step(form: FormData, flow: Flow) -> Response:
        token = await transitions.link_existing(portal, flow, parse_password(form), await _previous(request),
                                                _attempt(request, flow))
        return await _finish(request, flow, token)

    async def refused(form: FormData, flow: Flow, refusal: DomainError) -> Response:
        return await _first_page(request, flow, refusal)

    # A password guess like a login's: the address's login budget, besides the account's lock.
    return await run_step(request, load=posted_flow(request, portal, UPSTREAM, State.FIRST), step=step,
                          refused=refused, limit="login_per_address")


@router.post("/upstream/create")
async def create(request: Request) -> Response:
    """创建账号: the username and password the portal needs besides what the upstream vouched for."""
    portal = _portal(request)

    async def step(form: FormData, flow: Flow) -> Response:
        new = parse_new_account(form, transitions.personal_data(flow))
        token = await transitions.create_from_upstream(portal, flow, new, await _previous(request),
                                                       _attempt(request, flow))
        return await _finish(request, flow, token)

    async def refused(form: FormData, flow: Flow, refusal: DomainError) -> Response:
        return await _first_page(request, flow, refusal)

    return await run_step(request, load=posted_flow(request, portal, UPSTREAM, State.FIRST), step=step,
                          refused=refused)
