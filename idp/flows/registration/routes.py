"""注册: GET renders the step the flow is in (with a fresh captcha where the step has one); POST
runs one transition and redirects, or renders the same form with the message, the user's
values kept (never the passwords).

法人: /register/legal (填写认证信息 → 开始认证), /register/legal/user (创建用户 → 确认注册),
/register/legal/done (登录法人空间). 个人: /register/personal, /register/personal/done.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from idp.captcha.store import consume_captcha, issue_captcha
from idp.errors import DomainError, PageError
from idp.flows import store
from idp.flows.models import Flow
from idp.flows.registration import transitions
from idp.flows.registration.forms import (
    ID_TYPES,
    InvalidForm,
    parse_credentials,
    parse_enterprise,
    parse_person,
)
from idp.flows.registration.states import State
from idp.flows.registration.transitions import LEGAL, PERSONAL
from idp.flows.web import posted_flow, run_step, start
from idp.oidc.client_address import client_ip
from idp.portal import Portal
from idp.sessions.browser_bound import load_bound
from idp.verification import enterprise_verifier, identity_verifier
from idp.web.pages import render
from shared.messages import text


def registration_open(request: Request) -> None:
    """A deployment without self-registration (IDP_SELF_REGISTRATION=false: its operators open
    the accounts) refuses every registration page and form."""
    if not request.app.state.portal.settings.self_registration:
        raise PageError("registration.closed", status_code=403, detail="self-registration is off")


router = APIRouter(dependencies=[Depends(registration_open)])
LIMIT = "registration_per_address"  # each POST spends a hit of the source address's budget (idp.limits.rates)
START_STATE = {LEGAL: State.ENTERPRISE, PERSONAL: State.FORM}
PATHS = {LEGAL: "/register/legal", PERSONAL: "/register/personal"}
# The form fields shown again after a refusal: everything except the passwords and the captcha.
KEPT = ("enterprise_name", "credit_code", "name", "id_type", "id_number", "valid_from", "valid_to", "long_term",
        "mobile", "email", "username")
# Refusals that mean "this account already exists": the page offers to recover it instead.
RECOVERABLE = {"id_number.exists", "credit_code.exists", "registration.mobile_exists"}


def _portal(request: Request) -> Portal:
    return request.app.state.portal


def _kept(form: FormData) -> dict[str, str]:
    return {name: str(form.get(name) or "") for name in KEPT}


async def _start(request: Request, kind: str) -> Response:
    return await start(request, _portal(request), kind=kind, state=START_STATE[kind], path=PATHS[kind])


async def _load(request: Request, flow_id, kind: str) -> Flow:
    portal = _portal(request)
    async with portal.sessionmaker() as db:
        return await store.load_flow(db, portal.settings, request, str(flow_id or ""), kind)


async def _captcha_error(request: Request, form: FormData) -> DomainError | None:
    """Consume the posted captcha in a transaction of its own: it is used up even when the form is refused."""
    portal = _portal(request)
    answer = str(form.get("captcha") or "")
    async with portal.sessionmaker.begin() as db:
        message_id = await consume_captcha(db, str(form.get("captcha_id") or ""), answer)
    if message_id is None:
        return None
    return DomainError("registration.required", label="图形验证码") if not answer.strip() else DomainError(message_id)


async def _page(request: Request, template: str, flow: Flow, values: dict, refusal: DomainError | None = None,
                *, captcha: bool = True, **context) -> Response:
    captcha_id = None
    if captcha:
        portal = _portal(request)
        async with portal.sessionmaker.begin() as db:
            captcha_id = await issue_captcha(portal, db)
    errors = {f: e.text() for f, e in refusal.errors.items()} if isinstance(refusal, InvalidForm) else {}
    return render(
        f"registration/{template}", flow=flow.id, csrf_token=flow.csrf_token, captcha_id=captcha_id,
        values=values, errors=errors, error=refusal.text() if refusal else None,
        recoverable=refusal is not None and refusal.message_id in RECOVERABLE,
        ctid_hint=refusal is not None and refusal.message_id == "realname.failed" and bool(values.get("long_term")),
        ctid_hint_text=text("registration.ctid_hint"), id_types=ID_TYPES, captcha_required_mark=True, **context,
    )


async def _finished(request: Request, flow_id, kind: str) -> Flow:
    """A completed registration, for its success page (only in the browser that made it)."""
    portal = _portal(request)
    async with portal.sessionmaker() as db:
        return await load_bound(db, portal.settings, request, Flow, str(flow_id or ""), expired=store.EXPIRED,
                                where={"kind": kind, "state": State.DONE}, finished=True)


def _enterprise_values(flow: Flow) -> dict:
    """Step 1 filled in again from the flow (after 上一步)."""
    data = flow.data.get("enterprise")
    if not data:
        return {}
    document = data["document"]
    return {**{k: data[k] for k in ("enterprise_name", "credit_code", "name", "mobile", "email")},
            "id_type": document["id_type"], "id_number": document["id_number_original"] or document["id_number"],
            "valid_from": document["valid_from"], "valid_to": document["valid_to"] or "",
            "long_term": "1" if document["long_term"] else ""}


@router.get("/register")
async def choose(request: Request) -> Response:
    return render("registration/choose.html")


# --- 法人 ------------------------------------------------------------------------------


@router.get("/register/legal")
async def legal_page(request: Request, flow: str | None = None) -> Response:
    if flow is None:
        return await _start(request, LEGAL)
    row = await _load(request, flow, LEGAL)
    if row.state == State.USER:
        return await _page(request, "legal_user.html", row, {}, captcha=False, enterprise=row.data["enterprise"])
    return await _page(request, "legal_enterprise.html", row, _enterprise_values(row))


@router.post("/register/legal")
async def legal_verify(request: Request) -> Response:
    """开始认证."""
    portal = _portal(request)

    async def step(form: FormData, flow: Flow) -> None:
        enterprise = parse_enterprise(form, await _captcha_error(request, form))
        await transitions.verify_enterprise(portal, flow, enterprise, enterprise_verifier(portal.settings),
                                            client_ip(request))

    async def refused(form: FormData, flow: Flow, refusal: DomainError) -> Response:
        return await _page(request, "legal_enterprise.html", flow, _kept(form), refusal)

    return await run_step(request, load=posted_flow(request, portal, LEGAL), step=step, refused=refused,
                          limit=LIMIT, then=lambda flow: f"/register/legal?flow={flow.id}")


@router.post("/register/legal/user")
async def legal_confirm(request: Request) -> Response:
    """确认注册 (or 上一步)."""
    portal = _portal(request)

    async def step(form: FormData, flow: Flow) -> Response | None:
        if form.get("step") == "back":
            await transitions.return_to_enterprise(portal, flow)
            return RedirectResponse(f"/register/legal?flow={flow.id}", status_code=303)
        credentials = parse_credentials(form, transitions.verified_enterprise(flow))
        await transitions.confirm_registration(portal, flow, credentials, client_ip(request))
        return None

    async def refused(form: FormData, flow: Flow, refusal: DomainError) -> Response:
        return await _page(request, "legal_user.html", flow, _kept(form), refusal, captcha=False,
                           enterprise=flow.data["enterprise"])

    return await run_step(request, load=posted_flow(request, portal, LEGAL), step=step, refused=refused,
                          limit=LIMIT, then=lambda flow: f"/register/legal/done?flow={flow.id}")


@router.get("/register/legal/done")
async def legal_done(request: Request, flow: str = "") -> Response:
    row = await _finished(request, flow, LEGAL)
    return render("registration/legal_done.html", username=row.data["username"], enterprise=row.data["enterprise"])


# --- 个人 ------------------------------------------------------------------------------


@router.get("/register/personal")
async def personal_page(request: Request, flow: str | None = None) -> Response:
    if flow is None:
        return await _start(request, PERSONAL)
    row = await _load(request, flow, PERSONAL)
    return await _page(request, "personal.html", row, {})


@router.post("/register/personal")
async def personal_register(request: Request) -> Response:
    """注册: 实名认证 and the account, in one step."""
    portal = _portal(request)

    async def step(form: FormData, flow: Flow) -> None:
        person = parse_person(form, await _captcha_error(request, form))
        await transitions.register_person(portal, flow, person, identity_verifier(portal.settings), client_ip(request))

    async def refused(form: FormData, flow: Flow, refusal: DomainError) -> Response:
        return await _page(request, "personal.html", flow, _kept(form), refusal)

    return await run_step(request, load=posted_flow(request, portal, PERSONAL), step=step, refused=refused,
                          limit=LIMIT, then=lambda flow: f"/register/personal/done?flow={flow.id}")


@router.get("/register/personal/done")
async def personal_done(request: Request, flow: str = "") -> Response:
    row = await _finished(request, flow, PERSONAL)
    return render("registration/personal_done.html", username=row.data["username"])
