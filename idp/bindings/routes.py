"""我的绑定 (/space/bindings) and the authorization page of one system (seed 000).

Every page needs a login session; every POST carries the session's CSRF secret. Starting a
binding sends the browser to the system's binding_start_uri; the system reports back through
idp.bindings.api, and the page shows the portal's bindings table.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import yaml

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from idp.bindings import outbox, transitions
from idp.bindings.models import Binding
from idp.clients.models import Client
from idp.clients.registry import ClientInfo, unbindable_kinds
from idp.errors import DomainError, PageError
from idp.portal import Portal
from idp.principals.principal import Principal
from idp.web.kit import check_csrf, portal_of, render_page, signed_in, to_login
from shared.binding import PORTAL_BINDINGS_PAGE
from shared.messages import text

router = APIRouter()
NOTICES = {"unbound": "binding.unbound", "unbind_requested": "binding.unbind_requested"}
# ?result=… from the system's redirect back (shared.binding RefusalReason and the system's own
# outcomes): code → (message id, shown as an error?). Unknown codes show nothing.
RESULTS = {"linked": ("binding.result_linked", False), "cancelled": ("binding.result_cancelled", False),
           "subject_already_linked": ("binding.already_bound", True),
           "local_account_taken": ("binding.result_account_taken", True),
           "expired": ("binding.result_expired", True)}


@dataclass(frozen=True)
class Row:
    client_id: str
    name: str
    shown: str  # bind | pending | unbind | fixed | unbinding


def _shown(binding: Binding | None, unbindable: tuple[str, ...]) -> str:
    if binding is None:
        return "bind"
    if binding.state == "active":
        return "unbind" if binding.kind in unbindable else "fixed"
    return binding.state  # pending | unbinding


@lru_cache(maxsize=4)
def _catalogue_order(path: Path) -> dict[str, int]:
    """client_id → its place in the catalogue file: 我的绑定 lists the systems in seed 000's order."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError:
        return {}
    return {entry["client_id"]: n for n, entry in enumerate(data.get("systems", []))}


async def binding_rows(portal: Portal, principal: Principal) -> list[Row]:
    """Every bindable system with this principal's state, in the catalogue's order."""
    async with portal.reader() as db:
        systems = (await db.execute(select(Client.client_id, Client.display_name, Client.unbindable_kinds).where(
            Client.disabled_at.is_(None), Client.binding_start_uri.is_not(None)))).all()
        live = (await db.scalars(select(Binding).where(
            Binding.account_id == principal.account.id, transitions.same_capacity(principal.agency_id),
            Binding.state.in_(transitions.LIVE)))).all()
    order = _catalogue_order(portal.settings.catalogue_path)
    systems = sorted(systems, key=lambda s: (order.get(s[0], len(order)), s[1], s[0]))  # others last, by name
    by_client = {b.client_id: b for b in live}
    return [Row(cid, name, _shown(by_client.get(cid), unbindable_kinds(kinds))) for cid, name, kinds in systems]


async def _rows(request: Request, session) -> list[Row]:
    rows = await binding_rows(portal_of(request), session.principal)
    # An agent sees only what its enterprise authorized, and changes nothing (seed 001 第四步).
    return [row for row in rows if row.shown in ("unbind", "fixed")] if session.agency else rows


async def result_message(request: Request, principal: Principal, result: str,
                          client_id: str) -> tuple[str, bool] | None:
    """The system's report (?result=&client_id=) as a catalogue message, or None: only a known
    code, and only about a binding of this user's (a crafted link shows nothing). Success is
    said only once the binding is active."""
    if result not in RESULTS or len(client_id) > 64:
        return None
    async with portal_of(request).reader() as db:
        latest = await db.scalar(select(Binding).where(Binding.account_id == principal.account.id,
                                                       transitions.same_capacity(principal.agency_id),
                                                       Binding.client_id == client_id)
                                 .order_by(Binding.created_at.desc()).limit(1))
    client = await portal_of(request).client(client_id)
    if latest is None or client is None or (result == "linked" and latest.state != "active"):
        return None
    message_id, is_error = RESULTS[result]
    return text(message_id, system=client.display_name), is_error


async def known_system_name(portal: Portal, client_id: str) -> str | None:
    """A registered system's own name for a client id from the query: never text taken from it."""
    if not client_id.isprintable() or len(client_id) > 64:  # a NUL cannot even be compared on PostgreSQL
        return None
    client = await portal.client(client_id)
    return client.display_name if client else None


async def _bindable(request: Request, client_id: str) -> ClientInfo:
    client = await portal_of(request).client(client_id)
    if client is None or not client.binding_start_uri:
        raise PageError("binding.not_bindable", status_code=404)
    return client


async def _list_page(request: Request, session, *, error: str | None = None, notice: str | None = None,
                     status_code: int = 200) -> Response:
    response = render_page("bindings/list.html", session, rows=await _rows(request, session), error=error,
                     notice=notice, agent=session.agency is not None)
    response.status_code = status_code
    return response


@router.get(PORTAL_BINDINGS_PAGE)
async def bindings_page(request: Request, done: str = "", system: str = "", result: str = "",
                        client_id: str = "") -> Response:
    session = await signed_in(request)
    if session is None:
        return to_login()
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
    return f"/space/agents/{latest.agency_id}"


def _refuse_agent(session) -> None:
    if session.agency is not None:
        raise PageError("binding.agent_by_legal_person", status_code=403)


@router.get(PORTAL_BINDINGS_PAGE + "/{client_id}")
async def authorize_page(request: Request, client_id: str) -> Response:
    session = await signed_in(request)
    if session is None:
        return to_login()
    _refuse_agent(session)
    client = await _bindable(request, client_id)
    return render_page("bindings/authorize.html", session, client_id=client.client_id, client_name=client.display_name,
                 create_note=text("binding.create_new_note"), existing_note=text("binding.existing_note"), error=None)


@router.post(PORTAL_BINDINGS_PAGE + "/{client_id}")
async def start(request: Request, client_id: str) -> Response:
    session = await signed_in(request)
    if session is None:
        return to_login()
    form = await request.form()
    check_csrf(session, form)
    _refuse_agent(session)
    client = await _bindable(request, client_id)
    mode = form.get("mode")
    try:
        binding_id = await transitions.start_binding(portal_of(request), session.principal, client,
                                                     mode if isinstance(mode, str) else "")
    except DomainError as exc:
        return await _list_page(request, session, error=exc.text(), status_code=409)
    separator = "&" if "?" in client.binding_start_uri else "?"
    return RedirectResponse(client.binding_start_uri + separator + urlencode({"binding": binding_id}),
                            status_code=303)


@router.post(PORTAL_BINDINGS_PAGE + "/{client_id}/unbind")
async def unbind(request: Request, client_id: str) -> Response:
    session = await signed_in(request)
    if session is None:
        return to_login()
    form = await request.form()
    check_csrf(session, form)
    _refuse_agent(session)
    client = await _bindable(request, client_id)
    portal = portal_of(request)
    try:
        async with portal.sessionmaker.begin() as db:
            call = await transitions.request_unbind(db, session.account, client)
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
