"""注册: GET renders the step the flow is in (with a fresh captcha where the step has one); POST
runs one transition and redirects, or renders the same form with the message, the user's
values kept (never the passwords).

法人: /register/legal (填写认证信息 → 开始认证), /register/legal/user (创建用户 → 确认注册),
/register/legal/done (登录法人空间). 个人: /register/personal, /register/personal/done.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from idp import clock
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
from idp.flows.registration.transitions import LEGAL, PERSONAL
from idp.oidc.interactions import browser_token
from idp.portal import Portal
from idp.security.tokens import constant_time_equal, digest
from idp.sessions.store import browser_cookie_name, set_cookie
from idp.verification import enterprise_verifier, identity_verifier
from idp.web.pages import render
from shared.messages import text

router = APIRouter()
START_STATE = {LEGAL: "enterprise", PERSONAL: "form"}
PATHS = {LEGAL: "/register/legal", PERSONAL: "/register/personal"}
# The form fields shown again after a refusal: everything except the passwords and the captcha.
KEPT = ("enterprise_name", "credit_code", "name", "id_type", "id_number", "valid_from", "valid_to", "long_term",
        "mobile", "email", "username")
# Refusals that mean "this account already exists": the page offers to recover it instead.
RECOVERABLE = {"id_number.exists", "credit_code.exists", "registration.mobile_exists"}


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _portal(request: Request) -> Portal:
    return request.app.state.portal


def _kept(form: FormData) -> dict[str, str]:
    return {name: str(form.get(name) or "") for name in KEPT}


async def _start(request: Request, kind: str) -> Response:
    portal = _portal(request)
    browser, is_new = browser_token(request, portal.settings)
    async with portal.sessionmaker.begin() as db:
        flow = store.start_flow(db, kind, START_STATE[kind], browser)
    response = RedirectResponse(f"{PATHS[kind]}?flow={flow.id}", status_code=303)
    if is_new:
        set_cookie(response, portal.settings, browser_cookie_name(portal.settings), browser, None)
    return response


async def _load(request: Request, flow_id, kind: str) -> Flow:
    portal = _portal(request)
    async with portal.sessionmaker() as db:
        return await store.load_flow(db, portal.settings, request, str(flow_id or ""), kind)


async def _posted(request: Request, kind: str) -> tuple[FormData, Flow]:
    form = await request.form()
    flow = await _load(request, form.get("flow"), kind)
    store.check_flow_csrf(flow, form.get("csrf_token"))
    return form, flow


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
    if bound.ROW_ID.fullmatch(str(flow_id or "")):  # e.g. a NUL, which PostgreSQL cannot even compare
        async with portal.sessionmaker() as db:
            flow = await db.scalar(select(Flow).where(Flow.id == str(flow_id), Flow.kind == kind,
                                                      Flow.state == "done", Flow.expires_at > clock.now()))
        browser = request.cookies.get(browser_cookie_name(portal.settings), "")
        if flow is not None and constant_time_equal(digest(browser), flow.browser_digest):
            return flow
    raise PageError(store.EXPIRED)


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
    if row.state == "user":
        return await _page(request, "legal_user.html", row, {}, captcha=False, enterprise=row.data["enterprise"])
    return await _page(request, "legal_enterprise.html", row, _enterprise_values(row))


@router.post("/register/legal")
async def legal_verify(request: Request) -> Response:
    """开始认证."""
    portal = _portal(request)
    form, flow = await _posted(request, LEGAL)
    captcha_error = await _captcha_error(request, form)
    try:
        enterprise = parse_enterprise(form, captcha_error)
        await transitions.verify_enterprise(portal, flow, enterprise, enterprise_verifier(portal.settings),
                                            _ip(request))
    except DomainError as refusal:
        return await _page(request, "legal_enterprise.html", flow, _kept(form), refusal)
    return RedirectResponse(f"/register/legal?flow={flow.id}", status_code=303)


@router.post("/register/legal/user")
async def legal_confirm(request: Request) -> Response:
    """确认注册 (or 上一步)."""
    portal = _portal(request)
    form, flow = await _posted(request, LEGAL)
    if form.get("step") == "back":
        await transitions.return_to_enterprise(portal, flow)
        return RedirectResponse(f"/register/legal?flow={flow.id}", status_code=303)
    try:
        credentials = parse_credentials(form, transitions.verified_enterprise(flow))
        await transitions.confirm_registration(portal, flow, credentials, _ip(request))
    except DomainError as refusal:
        return await _page(request, "legal_user.html", flow, _kept(form), refusal, captcha=False,
                           enterprise=flow.data["enterprise"])
    return RedirectResponse(f"/register/legal/done?flow={flow.id}", status_code=303)


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
    form, flow = await _posted(request, PERSONAL)
    captcha_error = await _captcha_error(request, form)
    try:
        person = parse_person(form, captcha_error)
        await transitions.register_person(portal, flow, person, identity_verifier(portal.settings), _ip(request))
    except DomainError as refusal:
        return await _page(request, "personal.html", flow, _kept(form), refusal)
    return RedirectResponse(f"/register/personal/done?flow={flow.id}", status_code=303)


@router.get("/register/personal/done")
async def personal_done(request: Request, flow: str = "") -> Response:
    row = await _finished(request, flow, PERSONAL)
    return render("registration/personal_done.html", username=row.data["username"])
