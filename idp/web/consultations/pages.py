"""咨询 pages for users: the question form (the guide's ``/problem?ssywxt=…``), its confirmation
with the reference number, and the lookup of answers without login (在线办事反馈查询).

Both forms belong to a stored flow bound to this browser (CSRF token, expiry: idp.flows). Filing
finishes the flow in the transaction that stores the question, so a double submit files once.
Bad input comes back on the same form with every problem under its field and changes nothing.
Both are rate-limited per source address, filing also per signed-in account (idp.limits.rates;
docs/operations.md, "Rate limits"); a refusal is the form again with 429 and Retry-After.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from idp.accounts.models import AccountType
from idp.captcha.store import consume_captcha
from idp.clients.models import Client
from idp.consultations.models import PORTAL
from idp.consultations.queries import lookup_without_login
from idp.consultations.questions import (
    ACCOUNT_TYPES,
    CATEGORIES,
    DESCRIPTION_MAX,
    PORTAL_NAME,
    InvalidQuestion,
    parse_asker,
    parse_question,
)
from idp.consultations.transitions import submit_consultation
from idp.consultations.working_days import last_day
from idp.errors import DomainError
from idp.flows.models import Flow
from idp.flows.store import EXPIRED, advance, load_flow, start_flow
from idp.flows.web import bind_browser, new_captcha, posted_flow, run_step, start
from idp.limits.rates import hit_each, hit_now
from idp.portal import Portal
from idp.sessions.browser_bound import browser_token, load_bound
from idp.sessions.store import ActiveSession
from idp.web.consultations import PROBLEM, PROBLEM_DONE, PROBLEM_QUERY
from idp.web.consultations.rows import shown
from idp.web.kit import client_ip, portal_of, signed_in
from idp.web.pages import render
from idp.web.space import FEEDBACK
from shared.identity import ID_TYPES
from shared.messages import text

router = APIRouter()
ASK, FILED = "ask", "filed"  # the states of a question's flow
ASK_KIND, LOOKUP_KIND, LOOKING = "consultation", "consultation_lookup", "lookup"
QUESTION_FIELDS = ("system", "category", "account_type", "title", "description", "name", "id_type", "id_number",
                   "mobile", "email")
ASKER_FIELDS = ("name", "mobile", "email")


async def system_choices(portal: Portal) -> dict[str, str]:
    """咨询系统类型: the portal, then the business systems of 我的绑定 (enabled, bindable), by name."""
    async with portal.reader() as db:
        rows = (await db.execute(select(Client.client_id, Client.display_name).where(
            Client.disabled_at.is_(None), Client.binding_start_uri.is_not(None)))).all()
    return {PORTAL: PORTAL_NAME, **{cid: name for cid, name in sorted(rows, key=lambda r: (r[1], r[0]))}}


def preselected(systems: dict[str, str], ssywxt: str | None) -> str:
    """``ssywxt`` names the system asked about: ZWFW (any case) the portal, a client_id that system."""
    wanted = (ssywxt or "").strip().lower()
    return next((key for key in systems if key.lower() == wanted and key != PORTAL), PORTAL)


def account_values(session: ActiveSession | None) -> dict[str, str]:
    """A signed-in asker's form, prefilled from the account (an agent's own person)."""
    if session is None:
        return {}
    account = session.account
    kind = ("agent" if session.agency is not None
            else "legal_person" if account.account_type == AccountType.legal_person else "personal")
    return {"account_type": kind, "name": account.name, "id_type": account.id_type or "",
            "id_number": account.id_number_original or account.id_number or "", "mobile": account.mobile or "",
            "email": account.email or ""}


def posted_values(form: FormData, fields: tuple[str, ...]) -> dict[str, str]:
    """What the user typed, to fill the form in again (never the captcha answer)."""
    return {name: value for name in fields if isinstance(value := form.get(name), str)}


async def captcha_problem(portal: Portal, form: FormData) -> DomainError | None:
    """Consume the posted captcha in a transaction of its own: it is spent even when the form is refused."""
    answer = str(form.get("captcha") or "")
    async with portal.sessionmaker.begin() as db:
        problem = await consume_captcha(db, str(form.get("captcha_id") or ""), answer)
    if problem is None:
        return None
    return DomainError("captcha.required" if not answer.strip() else problem)


def field_errors(refusal: DomainError | None) -> tuple[dict[str, str], str | None]:
    """(field → message, the line above the form)."""
    if isinstance(refusal, InvalidQuestion):
        return {field: error.text() for field, error in refusal.errors.items()}, text("consultation.form_errors")
    return {}, refusal.text() if refusal else None


# --- the question -----------------------------------------------------------------------


async def question_page(request: Request, flow: Flow, values: dict[str, str],
                        refusal: DomainError | None = None) -> Response:
    portal = portal_of(request)
    async with portal.sessionmaker.begin() as db:
        captcha_id = await new_captcha(db, portal)
    errors, error = field_errors(refusal)
    session = await signed_in(request)
    status = 200 if refusal is None else 400
    systems = await system_choices(portal)
    return render("consultations/ask.html", status_code=status, flow=flow.id, csrf_token=flow.csrf_token,
                  captcha_id=captcha_id, values=values, errors=errors, error=error, systems=systems,
                  categories=CATEGORIES, account_types=ACCOUNT_TYPES, id_types=ID_TYPES,
                  description_max=DESCRIPTION_MAX, signed_in=session is not None,
                  refresh=f"{PROBLEM}?flow={flow.id}", query_path=PROBLEM_QUERY, feedback_path=FEEDBACK)


async def start_question(request: Request, portal: Portal, ssywxt: str | None, category: str | None) -> Response:
    """A new flow for this browser (setting its binding cookie if it has none), ``ssywxt`` and a
    known ``category`` kept."""
    browser, is_new = browser_token(request, portal.settings)
    async with portal.sessionmaker.begin() as db:
        row = start_flow(db, ASK_KIND, ASK, browser)
    query = {"ssywxt": ssywxt[:64]} if ssywxt else {}
    if category in CATEGORIES:
        query["category"] = category
    query["flow"] = row.id
    return bind_browser(RedirectResponse(f"{PROBLEM}?{urlencode(query)}", status_code=303), portal, browser, is_new)


@router.get(PROBLEM)
async def question_form(request: Request, ssywxt: str | None = None, category: str | None = None,
                        flow: str | None = None) -> Response:
    """``category`` preselects 问题分类 (the binding page's 申请解除 asks for ``unbinding``)."""
    portal = portal_of(request)
    if flow is None:
        return await start_question(request, portal, ssywxt, category)
    async with portal.reader() as db:
        row = await load_flow(db, portal.settings, request, flow, ASK_KIND)
    values = {"system": preselected(await system_choices(portal), ssywxt),
              **({"category": category} if category in CATEGORIES else {}),
              **account_values(await signed_in(request))}
    return await question_page(request, row, values)


@router.post(PROBLEM)
async def file_question(request: Request) -> Response:
    portal = portal_of(request)
    source_ip = client_ip(request)

    async def step(form: FormData, flow: Flow) -> None:
        problem = await captcha_problem(portal, form)
        try:
            question = parse_question(form, await system_choices(portal))
        except InvalidQuestion as exc:
            raise InvalidQuestion({**exc.errors, **({"captcha": problem} if problem else {})}) from None
        if problem:
            raise InvalidQuestion({"captcha": problem})
        session = await signed_in(request)
        async with portal.sessionmaker.begin() as db:
            # Counted with the question: a refused or failed filing counts nothing.
            await hit_each(db, portal.settings, ("consultations_per_address", source_ip),
                           *([("consultations_per_account", session.account.id)] if session else []),
                           message_id="consultation.too_many")
            row = await submit_consultation(db, question, account_id=session.account.id if session else None,
                                            actor=session.account.subject if session else None, source_ip=source_ip)
            # Finishing the flow in the same transaction: a double submit files one question.
            await advance(db, flow, expected=ASK, to=FILED, finish=True, reference=row.reference,
                          due=last_day(row.due_at).isoformat(), signed_in=session is not None)

    async def refused(form: FormData, flow: Flow, refusal: DomainError) -> Response:
        return await question_page(request, flow, posted_values(form, QUESTION_FIELDS), refusal)

    return await run_step(request, load=posted_flow(request, portal, ASK_KIND, ASK), step=step, refused=refused,
                          then=lambda flow: f"{PROBLEM_DONE}?flow={flow.id}")


@router.get(PROBLEM_DONE)
async def question_filed(request: Request, flow: str | None = None) -> Response:
    """The confirmation, in the browser that filed the question only."""
    portal = portal_of(request)
    async with portal.reader() as db:
        row = await load_bound(db, portal.settings, request, Flow, str(flow or ""), expired=EXPIRED,
                               where={"kind": ASK_KIND, "state": FILED}, finished=True)
    return render("consultations/done.html", reference=row.data["reference"], due=row.data["due"],
                  signed_in=row.data["signed_in"], query_path=PROBLEM_QUERY, feedback_path=FEEDBACK,
                  ask_path=PROBLEM)


# --- the lookup without login -----------------------------------------------------------


async def lookup_page(request: Request, flow: Flow, values: dict[str, str], *, refusal: DomainError | None = None,
                      found: list[dict[str, Any]] | None = None) -> Response:
    portal = portal_of(request)
    async with portal.sessionmaker.begin() as db:
        captcha_id = await new_captcha(db, portal)
    errors, error = field_errors(refusal)
    return render("consultations/lookup.html", status_code=200 if refusal is None else 400, flow=flow.id,
                  csrf_token=flow.csrf_token, captcha_id=captcha_id, values=values, errors=errors, error=error,
                  found=found, refresh=f"{PROBLEM_QUERY}?flow={flow.id}", feedback_path=FEEDBACK, ask_path=PROBLEM)


@router.get(PROBLEM_QUERY)
async def lookup_form(request: Request, flow: str | None = None) -> Response:
    portal = portal_of(request)
    if flow is None:
        return await start(request, portal, kind=LOOKUP_KIND, state=LOOKING, path=PROBLEM_QUERY)
    async with portal.reader() as db:
        row = await load_flow(db, portal.settings, request, flow, LOOKUP_KIND)
    return await lookup_page(request, row, {})


@router.post(PROBLEM_QUERY)
async def look_up(request: Request) -> Response:
    """Every attempt counts against the address, matched or not; the page reads the same
    whether nothing matched or the data were wrong (the guide's own sentence says both)."""
    portal = portal_of(request)

    async def step(form: FormData, flow: Flow) -> Response:
        await hit_now(portal, ("lookups_per_address", client_ip(request)), message_id="consultation.lookups_too_many")
        problem = await captcha_problem(portal, form)
        try:
            asker = parse_asker(form)
        except InvalidQuestion as exc:
            raise InvalidQuestion({**exc.errors, **({"captcha": problem} if problem else {})}) from None
        if problem:
            raise InvalidQuestion({"captcha": problem})
        async with portal.reader() as db:
            rows = await lookup_without_login(db, asker.name, asker.mobile, asker.email)
        return await lookup_page(request, flow, posted_values(form, ASKER_FIELDS), found=[shown(r) for r in rows])

    async def refused(form: FormData, flow: Flow, refusal: DomainError) -> Response:
        return await lookup_page(request, flow, posted_values(form, ASKER_FIELDS), refusal=refusal)

    return await run_step(request, load=posted_flow(request, portal, LOOKUP_KIND, LOOKING), step=step,
                          refused=refused)
