"""The browser's side of 授权绑定 on this system (docs/binding-protocol.md, Bind).

``GET SYSTEM_START?binding=<id>`` reads the intent from the portal (with our client
credentials) and checks it is ours, pending and not expired. Mode ``create``
(直接授权创建新的账号) makes an account from the intent's claims and links it at once; mode
``existing`` (已有用户的登录授权) shows our own login page, and the credentials stay here. Either
way the link, the binding record and the confirm call commit in one transaction
(links.settle_binding), the confirm is tried at once, and the browser returns to 我的绑定.

Before either, the browser proves its portal user IS the binding's subject: a silent login
(code flow with PKCE and ``prompt=none``, portal_login.send_to_portal, the binding id kept in the
pending login) whose ID token's ``sub`` must equal the intent's. Otherwise anyone holding a
link could complete it: an attacker's own link sent to a victim would bind the victim's
account here to the attacker's portal account. A mismatch or no portal session is refused with
a page and nothing is sent to the portal: the binding stays pending for its real subject.
"""
from __future__ import annotations

import logging
import secrets
import time
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from mock_systems.common.accounts import (
    CredentialsRefused,
    check_credentials,
    create_account,
    fields_from_claims,
)
from mock_systems.common.binding_intent import fetch_intent
from mock_systems.common.binding_outbox import deliver_due
from mock_systems.common.captcha_store import consume_captcha, issue_captcha
from mock_systems.common.context import SystemContext
from mock_systems.common.extension import BindingRules
from mock_systems.common.links import Settled, refuse_binding, settle_binding
from mock_systems.common.models import BindingRecord, LinkKind, LocalAccount, WebSession
from mock_systems.common.pages import message_page, render
from mock_systems.common.portal_request import send_to_portal
from mock_systems.common.security import constant_time_equal
from mock_systems.common.sessions import ensure_session, load_session, set_cookie
from shared.binding import PORTAL_BINDINGS_PAGE, SYSTEM_START, Intent
from shared.messages import text

router = APIRouter()
log = logging.getLogger(__name__)


def portal_bindings_page(system: SystemContext, result: str) -> str:
    return system.settings.issuer.rstrip("/") + PORTAL_BINDINGS_PAGE + "?" + urlencode(
        {"result": result, "client_id": system.settings.client_id})


async def finish(system: SystemContext, binding_id: str, settled: Settled) -> Response:
    """After the commit: try the call owed to the portal now (the loop retries it otherwise),
    then send the browser back to 我的绑定, or say why not."""
    await deliver_due(system, binding_id=binding_id)
    if settled.outcome == "linked":
        return RedirectResponse(portal_bindings_page(system, "linked"), status_code=303)
    if settled.outcome == "refused":
        message = text("binding.already_bound", system=system.name) if settled.reason == "subject_already_linked" \
            else text("system.binding.account_taken")
        return message_page(system, message, 409, f"binding refused: {settled.reason}")
    return message_page(system, text("system.binding.cancelled"), 409, f"binding already {settled.reason}")


def binding_rules(system: SystemContext) -> BindingRules | None:
    return system.profile.extension.binding_rules if system.profile.extension else None


async def refused_by_rules(system: SystemContext, intent: Intent) -> Response | None:
    """The system's own rules (extension.BindingRules.admit): their page, after the refusal was
    recorded and reported to the portal; None when they admit the binding (or there are none)."""
    rules = binding_rules(system)
    if rules is None:
        return None
    async with system.sessionmaker() as db:
        if await db.get(BindingRecord, intent.binding_id) is not None:
            return None  # settled here already (a reload): the common path says how
    page = await rules.admit(system, intent)
    if page is not None:
        await refuse_binding(system, binding_id=intent.binding_id, subject=intent.sub, reason="not_eligible")
        await deliver_due(system, binding_id=intent.binding_id)
    return page


async def create_new(system: SystemContext, intent: Intent) -> Response:
    """直接授权创建新的账号: a new account from the claims (what the system asks of it before
    use, if anything, is the profile's access gate: extension.py)."""
    fields = fields_from_claims(intent.claims if isinstance(intent.claims, dict) else {})
    rules = binding_rules(system)

    async def new_account(db: AsyncSession) -> LocalAccount:
        username = f"{system.settings.client_id}_{secrets.token_hex(5)}"
        account = await create_account(db, system, username=username, password=None, **fields)
        if rules is not None and rules.on_created is not None:
            await rules.on_created(db, system, intent, account)
        return account

    settled = await settle_binding(system, binding_id=intent.binding_id, subject=intent.sub,
                                   kind=LinkKind.created_by_binding, account_for=new_account)
    return await finish(system, intent.binding_id, settled)


async def show_form(request: Request, system: SystemContext, intent: Intent, *, username: str = "",
                    error: str | None = None, status_code: int = 200) -> Response:
    """已有用户的登录授权: our own login page, inside the binding."""
    async with system.sessionmaker.begin() as db:
        session, new_cookie = await ensure_session(db, system, request)
        captcha_id = await issue_captcha(db, system.settings)
    claims = intent.claims if isinstance(intent.claims, dict) else {}
    response = render(system, "binding_login.html", status_code, csrf_token=session.csrf_secret,
                      captcha_id=captcha_id, username=username, error=error, binding_id=intent.binding_id,
                      portal_name=portal_name(claims), start_path=urlsplit(system.settings.endpoint(SYSTEM_START)).path,
                      cancel_url=portal_bindings_page(system, "cancelled"))
    if new_cookie:
        set_cookie(response, system, new_cookie)
    return response


def portal_name(claims: dict) -> str:
    """Who is binding, as the guides name the account: a legal-person account by its enterprise
    (not the representative's personal name), an agent by the enterprise it acts for and its own
    name, a person by name."""
    enterprise = claims.get("enterprise")
    enterprise_name = enterprise.get("name") if isinstance(enterprise, dict) else None
    person = claims.get("name") or claims.get("preferred_username") or ""
    if isinstance(enterprise_name, str) and enterprise_name:
        if claims.get("account_type") == "agent" and person:
            return f"{enterprise_name}（经办人：{person}）"
        return enterprise_name
    return person if isinstance(person, str) else ""


def is_subject(session: WebSession | None, intent: Intent) -> bool:
    """Whether this browser proved, by a silent portal login, to be the binding's subject."""
    return session is not None and session.verified_binding_id == intent.binding_id


@router.get(SYSTEM_START)
async def start_binding(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    intent = await fetch_intent(system, request.query_params.get("binding"))  # or a refusal page
    async with system.sessionmaker.begin() as db:
        session = await load_session(db, system, request)
    if not is_subject(session, intent):
        # Only the sub is needed: scope openid never asks for consent, so prompt=none can pass.
        return await send_to_portal(request, system, binding_id=intent.binding_id, prompt="none", scope="openid")
    if (refused := await refused_by_rules(system, intent)) is not None:
        return refused
    if intent.mode == "create":
        return await create_new(system, intent)
    return await show_form(request, system, intent)


@router.post(SYSTEM_START)
async def bind_existing(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    form = await request.form()
    intent = await fetch_intent(system, str(form.get("binding", "")))  # or a refusal page
    if intent.mode != "existing":
        return message_page(system, text("system.binding.invalid"), 400, "the binding is not for an existing account")
    username = str(form.get("username", ""))[:64]
    async with system.sessionmaker.begin() as db:
        session = await load_session(db, system, request)
        forged = session is None or not constant_time_equal(str(form.get("csrf_token", "")), session.csrf_secret)
        stranger = not forged and not is_subject(session, intent)
        if not forged and not stranger:
            refusal = await consume_captcha(db, str(form.get("captcha_id", "")), str(form.get("captcha", "")))
    if forged:
        return await show_form(request, system, intent, username=username, error=text("page.expired"),
                               status_code=403)
    if stranger:  # the form was never shown to this browser: it has not passed the check
        return message_page(system, text("system.binding.not_subject"), 403,
                            "the browser did not pass the subject check")
    if refusal is not None:
        return await show_form(request, system, intent, username=username, error=text(refusal), status_code=400)
    if not username.strip() or not form.get("password"):
        return await show_form(request, system, intent, username=username, error=text("system.local.required"),
                               status_code=400)
    account = await check_credentials(system, username, str(form.get("password", "")))
    if isinstance(account, CredentialsRefused):
        message = "binding.no_such_user" if account is CredentialsRefused.no_such_user else "binding.wrong_password"
        return await show_form(request, system, intent, username=username, error=text(message), status_code=400)
    rules = binding_rules(system)
    if rules is not None and rules.check_existing is not None \
            and (refusal := await rules.check_existing(system, intent, account)) is not None:
        return await show_form(request, system, intent, username=username, error=text(refusal), status_code=400)
    if intent.expires_at <= time.time():  # the password check took time: never link after the expiry
        return message_page(system, text("system.binding.invalid"), 400, "the binding has expired")

    async def proven_account(db: AsyncSession) -> LocalAccount:
        return await db.get_one(LocalAccount, account.id)

    settled = await settle_binding(system, binding_id=intent.binding_id, subject=intent.sub,
                                   kind=LinkKind.bound_existing, account_for=proven_account)
    return await finish(system, intent.binding_id, settled)
