"""忘记密码 pages: GET draws the step of the flow's state, each POST runs one transition.

/recovery starts the way by identity data; /recovery?way=code the 原找回密码方式 (a code to the
registered mobile or e-mail). Bad input comes back on the same form, values kept except
passwords, captcha answers and codes.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from idp.errors import DomainError
from idp.flows import contact_forms
from idp.flows.contact_code import CODE, REQUEST, contact_values, sent_notice, use_captcha
from idp.flows.models import Flow
from idp.flows.recovery import forms, transitions
from idp.flows.recovery.transitions import IDENTITY, KIND, PASSWORD
from idp.flows.store import load_flow
from idp.flows.web import new_captcha, posted_flow, run_step, start
from idp.oidc.client_address import client_ip
from idp.portal import Portal
from idp.web.pages import render

router = APIRouter()
LIMIT = "recovery_per_address"  # each POST spends a hit of the source address's budget (idp.limits.rates)
PATH = "/recovery"
IDENTITY_FIELDS = ("name", "id_number", "valid_from", "valid_to")
CONTACT_FIELDS = ("username", "channel", "destination")


def _kept(form, names) -> dict:
    return {name: contact_forms.field(form, name) for name in names}


async def _page(portal: Portal, flow: Flow, *, values: dict | None = None, error: str | None = None) -> Response:
    """The page of the flow's current state."""
    context: dict[str, Any] = dict(flow_id=flow.id, csrf_token=flow.csrf_token, error=error)
    if flow.state in (IDENTITY, REQUEST):
        async with portal.sessionmaker.begin() as db:
            context["captcha_id"] = await new_captcha(db, portal)
    if flow.state == IDENTITY:
        return render("recovery/identity.html", step=1, values=values or {}, **context)
    if flow.state == REQUEST:
        return render("recovery/request.html", step=1, values=values or contact_values(flow), **context)
    if flow.state == CODE:
        return render("recovery/code.html", step=1, values=contact_values(flow),
                      notice=sent_notice(portal.settings, flow.data), **context)
    return render("recovery/password.html", step=2, **context)


@router.get(PATH)
async def recovery_page(request: Request, flow: str | None = None, way: str | None = None) -> Response:
    portal: Portal = request.app.state.portal
    if flow is None:
        return await start(request, portal, kind=KIND, state=REQUEST if way == "code" else IDENTITY, path=PATH)
    async with portal.reader() as db:
        row = await load_flow(db, portal.settings, request, flow, KIND)
    return await _page(portal, row)


def _this_page(flow: Flow) -> str:
    return f"{PATH}?flow={flow.id}"


@router.post(f"{PATH}/identity")
async def verify_identity(request: Request) -> Response:
    portal: Portal = request.app.state.portal

    async def step(form, flow: Flow) -> None:
        identity = forms.parse_identity(form)
        await use_captcha(portal, *contact_forms.parse_captcha(form))
        await transitions.verify_identity(portal, flow, identity, source_ip=client_ip(request))

    async def refused(form, flow: Flow, exc: DomainError) -> Response:
        return await _page(portal, flow, values=_kept(form, IDENTITY_FIELDS), error=exc.text())

    return await run_step(request, load=posted_flow(request, portal, KIND, IDENTITY), step=step, refused=refused,
                          limit=LIMIT, then=_this_page)


@router.post(f"{PATH}/send")
async def send_code(request: Request) -> Response:
    portal: Portal = request.app.state.portal

    async def step(form, flow: Flow) -> None:
        contact = contact_forms.parse_contact(form)
        await use_captcha(portal, *contact_forms.parse_captcha(form))
        await transitions.request_recovery_code(portal, flow, contact, source_ip=client_ip(request))

    async def refused(form, flow: Flow, exc: DomainError) -> Response:
        return await _page(portal, flow, values=_kept(form, CONTACT_FIELDS), error=exc.text())

    return await run_step(request, load=posted_flow(request, portal, KIND, REQUEST), step=step, refused=refused,
                          limit=LIMIT, then=_this_page)


@router.post(f"{PATH}/verify")
async def verify_code(request: Request) -> Response:
    portal: Portal = request.app.state.portal

    async def step(form, flow: Flow) -> None:
        code = contact_forms.parse_code(form)
        await transitions.confirm_recovery_code(portal, flow, code, source_ip=client_ip(request))

    async def refused(form, flow: Flow, exc: DomainError) -> Response:
        return await _page(portal, flow, error=exc.text())  # a spent code: back to 获取验证码

    return await run_step(request, load=posted_flow(request, portal, KIND, CODE), step=step, refused=refused,
                          limit=LIMIT, then=_this_page)


@router.post(f"{PATH}/password")
async def set_password(request: Request) -> Response:
    portal: Portal = request.app.state.portal

    async def step(form, flow: Flow) -> None:
        password = forms.parse_new_password(form, await transitions.recovered_account_data(portal, flow))
        await transitions.reset_password(portal, flow, password, source_ip=client_ip(request))

    async def refused(form, flow: Flow, exc: DomainError) -> Response:
        return await _page(portal, flow, error=exc.text())

    return await run_step(request, load=posted_flow(request, portal, KIND, PASSWORD), step=step, refused=refused,
                          limit=LIMIT, then=lambda flow: f"{PATH}/done")


@router.get(f"{PATH}/done")
async def done_page() -> Response:
    return render("recovery/done.html", step=3)
