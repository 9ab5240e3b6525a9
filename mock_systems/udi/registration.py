"""机构信息完善 and the access gate of the UDI system (docs/behaviours.md, Business systems).

An account created by binding (直接授权创建新的账号) may use the system only once staff approved
its organisation and contact details: until then every page of the system (the access gate,
called by the common pages) sends it to /organisation, which shows the form (not submitted yet,
or 审核不通过 with the reviewer's reason), or the 待审核 page. Accounts that existed before —
the system's own accounts, and those bound with 已有用户的登录授权 — are approved by definition.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from mock_systems.common.accounts import claim_object
from mock_systems.common.context import SystemContext
from mock_systems.common.links import link_of_account
from mock_systems.common.models import LinkKind, LocalAccount, WebSession
from mock_systems.common.page_guard import forged, logged_in
from mock_systems.udi.forms import FIELDS, read_details
from mock_systems.udi.models import Registration, RegistrationState
from mock_systems.udi.pages import render
from mock_systems.udi.transitions import resubmit_registration, submit_registration
from shared.messages import text
from shared.refusals import Refusal

router = APIRouter()
ORGANISATION = "/organisation"


async def needs_review(db: AsyncSession, account_id: int) -> bool:
    """Whether the account must pass the review at all: only one created by binding."""
    link = await link_of_account(db, account_id)
    return link is not None and link.kind is LinkKind.created_by_binding


async def registration_of(db: AsyncSession, account_id: int) -> Registration | None:
    return await db.scalar(select(Registration).where(Registration.account_id == account_id))


async def approved(db: AsyncSession, account_id: int) -> bool:
    if not await needs_review(db, account_id):
        return True
    registration = await registration_of(db, account_id)
    return registration is not None and registration.state is RegistrationState.approved


async def registration_gate(request: Request, system: SystemContext, account: LocalAccount) -> Response | None:
    """The profile's access gate: None once approved, else the way to /organisation."""
    async with system.sessionmaker() as db:
        if await approved(db, account.id):
            return None
    return RedirectResponse(ORGANISATION, status_code=303)


def prefilled(account: LocalAccount, session: WebSession) -> dict[str, str]:
    """A first form from what the portal said: the enterprise's name and 统一社会信用代码
    (the ``enterprise`` claim), the user's name and mobile number (the e-mail address is not among
    the claims the system asks for)."""
    claims = session.portal_claims or {}
    enterprise = claim_object(claims, "enterprise")
    values = {"organisation_name": enterprise.get("name") or account.organisation,
              "credit_code": enterprise.get("unified_social_credit_code") or "",
              "contact_name": account.display_name, "contact_phone": account.contact_phone}
    return {name: str(values.get(name) or "")[:FIELDS[name][2]] for name in FIELDS}


def _form(system: SystemContext, session: WebSession, values: dict, registration: Registration | None, *,
          errors: dict | None = None, error: str | None = None, status_code: int = 200) -> Response:
    return render(system, "organisation_form.html", status_code, csrf_token=session.csrf_secret, values=values,
                  fields=FIELDS, errors=errors or {}, error=error, registration=registration,
                  rejected=registration is not None and registration.state is RegistrationState.rejected)


def _status(system: SystemContext, session: WebSession, registration: Registration, status_code: int = 200,
            error: str | None = None) -> Response:
    return render(system, "registration_status.html", status_code, registration=registration,
                  csrf_token=session.csrf_secret, error=error)


@router.get(ORGANISATION)
async def organisation_page(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    current = await logged_in(request, gated=False)
    if isinstance(current, Response):
        return current
    session, account = current
    async with system.sessionmaker() as db:
        if await approved(db, account.id):
            return RedirectResponse("/", status_code=303)
        registration = await registration_of(db, account.id)
    if registration is None:
        return _form(system, session, prefilled(account, session), None)
    if registration.state is RegistrationState.pending:
        return _status(system, session, registration)
    values = {name: getattr(registration, name) for name in FIELDS}
    return _form(system, session, values, registration)


@router.post(ORGANISATION)
async def submit(request: Request) -> Response:
    system: SystemContext = request.app.state.system
    current = await logged_in(request, gated=False)
    if isinstance(current, Response):
        return current
    session, account = current
    form = await request.form()
    async with system.sessionmaker() as db:
        if await approved(db, account.id):
            return RedirectResponse("/", status_code=303)
        registration = await registration_of(db, account.id)
    details, typed, errors = read_details(form)
    if forged(session, form):
        return _form(system, session, typed, registration, error=text("page.expired"), status_code=403)
    if details is None:
        return _form(system, session, typed, registration, errors=errors, error=text("udi.form_errors"),
                     status_code=400)
    try:
        async with system.sessionmaker.begin() as db:
            if registration is None:
                await submit_registration(db, account.id, details)
            else:
                await resubmit_registration(db, account.id, details)
    except Refusal as exc:  # 待审核 already (another tab), or decided meanwhile
        async with system.sessionmaker() as db:
            registration = await registration_of(db, account.id)
        assert registration is not None  # refused for the state of an existing registration
        return _status(system, session, registration, exc.status_code, error=exc.text())
    return RedirectResponse(ORGANISATION, status_code=303)
