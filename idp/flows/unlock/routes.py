"""用户解锁 pages: GET /unlock starts a flow and draws the step of its state; each POST runs one
transition. Bad input comes back on the same form, values kept except captcha answers and codes."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from idp.errors import DomainError
from idp.flows.contact_code import CODE, REQUEST, contact_values, sent_notice, use_captcha
from idp.flows.models import Flow
from idp.flows.store import load_flow
from idp.flows.unlock import forms, transitions
from idp.flows.unlock.transitions import KIND
from idp.flows.web import new_captcha, posted_flow, run_step, start
from idp.oidc.client_address import client_ip
from idp.portal import Portal
from idp.web.pages import render

router = APIRouter()
LIMIT = "unlock_per_address"  # each POST spends a hit of the source address's budget (idp.limits.rates)
PATH = "/unlock"
CONTACT_FIELDS = ("username", "channel", "destination")


async def _page(portal: Portal, flow: Flow, *, values: dict | None = None, error: str | None = None) -> Response:
    context: dict[str, Any] = dict(flow_id=flow.id, csrf_token=flow.csrf_token, error=error)
    if flow.state == REQUEST:
        async with portal.sessionmaker.begin() as db:
            captcha_id = await new_captcha(db, portal)
        return render("unlock/request.html", values=values or contact_values(flow), captcha_id=captcha_id,
                      **context)
    return render("unlock/code.html", values=contact_values(flow), notice=sent_notice(portal.settings, flow.data),
                  **context)


@router.get(PATH)
async def unlock_page(request: Request, flow: str | None = None) -> Response:
    portal: Portal = request.app.state.portal
    if flow is None:
        return await start(request, portal, kind=KIND, state=REQUEST, path=PATH)
    async with portal.reader() as db:
        row = await load_flow(db, portal.settings, request, flow, KIND)
    return await _page(portal, row)


@router.post(f"{PATH}/send")
async def send_code(request: Request) -> Response:
    portal: Portal = request.app.state.portal

    async def step(form, flow: Flow) -> None:
        contact = forms.parse_contact(form)
        await use_captcha(portal, *forms.parse_captcha(form))
        await transitions.request_unlock_code(portal, flow, contact, source_ip=client_ip(request))

    async def refused(form, flow: Flow, exc: DomainError) -> Response:
        return await _page(portal, flow, values={n: forms.field(form, n) for n in CONTACT_FIELDS}, error=exc.text())

    return await run_step(request, load=posted_flow(request, portal, KIND, REQUEST), step=step, refused=refused,
                          limit=LIMIT, then=lambda flow: f"{PATH}?flow={flow.id}")


@router.post(f"{PATH}/verify")
async def verify_code(request: Request) -> Response:
    portal: Portal = request.app.state.portal

    async def step(form, flow: Flow) -> None:
        await transitions.unlock_account(portal, flow, forms.parse_code(form), source_ip=client_ip(request))

    async def refused(form, flow: Flow, exc: DomainError) -> Response:
        return await _page(portal, flow, error=exc.text())  # a spent code: back to 获取验证码

    return await run_step(request, load=posted_flow(request, portal, KIND, CODE), step=step, refused=refused,
                          limit=LIMIT, then=lambda flow: f"{PATH}/done")


@router.get(f"{PATH}/done")
async def done_page() -> Response:
    return render("unlock/done.html")
