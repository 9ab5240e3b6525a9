"""我的绑定 (/space/bindings) and the authorization page of one system (docs/behaviours.md, Binding).

Every page needs a login session; every POST carries the session's CSRF secret. Starting a
binding sends the browser to the system's binding_start_uri; the system reports back through
idp.web.binding_api, and the page shows the portal's bindings table.
"""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from idp.accounts.models import AccountType
from idp.bindings import calls, eligibility, outbox, transitions
from idp.bindings.models import Binding
from idp.errors import DomainError, PageError
from idp.oidc.client_address import client_ip
from idp.web.kit import CsrfForm, SignedIn, portal_of, render_page
from idp.web.space import AGENTS
from idp.web.space.binding_rows import (
    Row,
    bindable,
    binding_rows,
    known_system_name,
    result_message,
    to_binding_start,
    unavailable_page,
)
from shared.binding import PORTAL_BINDINGS_PAGE
from shared.messages import text

router = APIRouter()
NOTICES = {"unbound": "binding.unbound", "unbind_requested": "binding.unbind_requested"}


async def _rows(request: Request, session) -> list[Row]:
    rows = await binding_rows(portal_of(request), session.principal)
    # An agent sees only what its enterprise authorized, and changes nothing.
    return [row for row in rows if row.shown in ("unbind", "fixed")] if session.agency else rows


async def _list_page(request: Request, session, *, error: str | None = None, notice: str | None = None,
                     status_code: int = 200) -> Response:
    return render_page("bindings/list.html", session, status_code=status_code, rows=await _rows(request, session),
                       error=error, notice=notice, agent=session.agency is not None)


@router.get(PORTAL_BINDINGS_PAGE)
async def bindings_page(request: Request, session: SignedIn, done: str = "", system: str = "", result: str = "",
                        client_id: str = "") -> Response:
    notice = error = None
    if done in NOTICES:
        name = await known_system_name(portal_of(request), system)
        notice = text(NOTICES[done], system=name) if name else None
    elif result:
        agent_page = await _agent_binding_page(request, session, client_id)
        if agent_page is not None:  # the legal person bound a system for its agent: back to that agent
            return RedirectResponse(agent_page + "?" + urlencode({"result": result, "client_id": client_id}),
                                    status_code=303)
        reported = await result_message(request, session.principal, result, client_id)
        if reported is not None:
            error, notice = (reported[0], None) if reported[1] else (None, reported[0])
    return await _list_page(request, session, notice=notice, error=error)


async def _agent_binding_page(request: Request, session, client_id: str) -> str | None:
    """The agent page to return to when this legal person's latest binding with the system was
    one it made for an agent (the system always sends the browser back to 我的绑定)."""
    if len(client_id) > 64 or session.agency is not None:
        return None
    async with portal_of(request).reader() as db:
        latest = await db.scalar(select(Binding).where(Binding.actor_account_id == session.account.id,
                                                       Binding.client_id == client_id)
                                 .order_by(Binding.created_at.desc()).limit(1))
        own = await db.scalar(select(Binding.created_at).where(Binding.account_id == session.account.id,
                                                               Binding.agency_id.is_(None),
                                                               Binding.client_id == client_id)
                              .order_by(Binding.created_at.desc()).limit(1))
    if latest is None or (own is not None and own > latest.created_at):
        return None
    return f"{AGENTS}/{latest.agency_id}"


def _refuse_agent(session) -> None:
    if session.agency is not None:
        raise PageError("binding.agent_by_legal_person", status_code=403)


@router.get(PORTAL_BINDINGS_PAGE + "/{client_id}")
async def authorize_page(request: Request, client_id: str, session: SignedIn) -> Response:
    _refuse_agent(session)
    client = await bindable(request, client_id)
    if (refused := eligibility.refusal(session.principal, client)) is not None:  # not offered: say why
        return await _list_page(request, session, error=text(refused, system=client.display_name), status_code=403)
    return render_page("bindings/authorize.html", session, client_id=client.client_id, client_name=client.display_name,
                       create_note=text("binding.create_new_note"), existing_note=text("binding.existing_note"),
                       only_existing="create" not in client.binding_modes,
                       existing_only_note=text("binding.mode_refused", system=client.display_name), error=None,
                       official=session.account.account_type == AccountType.official)


@router.post(PORTAL_BINDINGS_PAGE + "/{client_id}")
async def start(request: Request, client_id: str, session: SignedIn, form: CsrfForm) -> Response:
    _refuse_agent(session)
    client = await bindable(request, client_id)
    mode = form.get("mode")
    # An ineligible request is refused by start_binding, whether or not the system answers.
    if eligibility.refusal(session.principal, client) is None and not await calls.reachable(portal_of(request), client):
        return unavailable_page(client)  # before any pending binding: nothing to clean up
    try:
        binding_id = await transitions.start_binding(portal_of(request), session.principal, client,
                                                     mode if isinstance(mode, str) else "",
                                                     source_ip=client_ip(request))
    except DomainError as exc:
        return await _list_page(request, session, error=exc.text(), status_code=409)
    return to_binding_start(client, binding_id)


@router.post(PORTAL_BINDINGS_PAGE + "/{client_id}/unbind")
async def unbind(request: Request, client_id: str, session: SignedIn, _form: CsrfForm) -> Response:
    _refuse_agent(session)
    client = await bindable(request, client_id)
    portal = portal_of(request)
    try:
        async with portal.sessionmaker.begin() as db:
            call = await transitions.request_unbind(db, session.account, client, source_ip=client_ip(request))
            call_id, binding_id = call.id, call.binding_id
    except DomainError as exc:
        return await _list_page(request, session, error=exc.text(), status_code=409)
    # Try at once so the page usually shows the result; a system that is down gets the retries.
    await outbox.deliver_one(portal, call_id)
    async with portal.reader() as db:
        state = await db.scalar(select(Binding.state).where(Binding.id == binding_id))
    done = "unbound" if state == "ended" else "unbind_requested"
    return RedirectResponse(f"{PORTAL_BINDINGS_PAGE}?" + urlencode({"done": done, "system": client.client_id}),
                            status_code=303)
