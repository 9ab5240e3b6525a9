"""经办人授权 in 法人空间 (docs/behaviours.md, Agents): add an agent by its full ID number, see each agent's
authorized and not-yet-authorized systems, 授权绑定 a system for it, revoke it, remove the agent.

Legal persons only; every POST carries the session's CSRF secret; each action is one
transition of idp.agents.transitions. The binding for an agent runs the ordinary 授权绑定 with
the agent's principal and the legal person as the actor (its browser passes the system's check).
"""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.display import mask_id_number, mask_mobile
from idp.agents import transitions
from idp.bindings import calls, eligibility, transitions as bindings
from idp.errors import DomainError, PageError
from idp.principals.principal import Principal
from idp.web.kit import CsrfForm, LegalPerson, client_ip, portal_of, render_page
from idp.web.space import AGENTS as PAGE
from idp.web.space.binding_rows import (
    bindable,
    binding_rows,
    known_system_name,
    result_message,
    to_binding_start,
    unavailable_page,
)
from shared.messages import text
from shared.path_ids import ROW_ID

router = APIRouter()
NOTICES = {"added": "agents.added", "removed": "agents.removed", "revoked": "binding.agent_revoked"}


async def _agents(request: Request, session) -> list:
    async with portal_of(request).reader() as db:
        return await transitions.agents_of_enterprise(db, session.account.id)


async def _principal(request: Request, session, agency_id: int) -> Principal:
    try:
        async with portal_of(request).reader() as db:
            agency, person = await transitions.agency_of(db, session.account, agency_id)
    except DomainError as exc:
        raise PageError(exc.message_id, status_code=404, **exc.values) from None
    return Principal(person, agency, session.account)


async def _list(request: Request, session, *, selected: Principal | None = None, notice: str | None = None,
                error: str | None = None, id_number: str = "", status_code: int = 200) -> Response:
    rows = await binding_rows(portal_of(request), selected) if selected is not None else []
    return render_page("agents/page.html", session, status_code=status_code, agents=await _agents(request, session),
                       selected=selected, authorized=[r for r in rows if r.shown in ("unbind", "fixed", "unbinding")],
                       waiting=[r for r in rows if r.shown in ("bind", "pending")], notice=notice, error=error,
                       id_number=id_number, mask_id=mask_id_number, mask_mobile=mask_mobile)


@router.get(PAGE)
async def agents_page(request: Request, session: LegalPerson, done: str = "") -> Response:
    return await _list(request, session, notice=text(NOTICES[done]) if done == "removed" else None)


@router.post(PAGE)
async def add(request: Request, session: LegalPerson, form: CsrfForm) -> Response:
    """新增经办人 by its full ID number."""
    id_number = str(form.get("id_number") or "")[:32]
    try:
        agency = await transitions.add_agent(portal_of(request), session.account, id_number,
                                             source_ip=client_ip(request))
    except DomainError as exc:
        return await _list(request, session, error=exc.text(), id_number=id_number, status_code=400)
    return RedirectResponse(f"{PAGE}/{agency.id}?done=added", status_code=303)


@router.get(PAGE + "/{agency_id:" + ROW_ID + "}")
async def agent_page(request: Request, agency_id: int, session: LegalPerson, done: str = "", result: str = "",
                     client_id: str = "") -> Response:
    """One agent: its data, the systems authorized and those not yet."""
    selected = await _principal(request, session, agency_id)
    notice = error = None
    if done in NOTICES:
        system = await known_system_name(portal_of(request), client_id) or ""
        notice = text(NOTICES[done], name=selected.account.name, system=system)
    elif result:
        reported = await result_message(request, selected, result, client_id)
        if reported is not None:
            error, notice = (reported[0], None) if reported[1] else (None, reported[0])
    return await _list(request, session, selected=selected, notice=notice, error=error)


@router.post(PAGE + "/{agency_id:" + ROW_ID + "}/remove")
async def remove(request: Request, agency_id: int, session: LegalPerson, _form: CsrfForm) -> Response:
    """移除经办人: its access to the enterprise's systems and its sessions end."""
    try:
        await transitions.remove_agent(portal_of(request), session.account, agency_id, source_ip=client_ip(request))
    except DomainError as exc:
        return await _list(request, session, error=exc.text(), status_code=409)
    return RedirectResponse(f"{PAGE}?done=removed", status_code=303)


@router.get(PAGE + "/{agency_id:" + ROW_ID + "}/bindings/{client_id}")
async def authorize_for_agent(request: Request, agency_id: int, client_id: str, session: LegalPerson) -> Response:
    """The 授权绑定 page for the agent: the modes the system allows agents (UDI: existing only)."""
    selected = await _principal(request, session, agency_id)
    client = await bindable(request, client_id)
    if (refused := eligibility.refusal(selected, client)) is not None:  # e.g. 个人登录 only
        return await _list(request, session, selected=selected, error=text(refused, system=client.display_name),
                           status_code=403)
    return render_page("bindings/authorize.html", session, client_id=client.client_id, client_name=client.display_name,
                 create_note=text("binding.create_new_note"), existing_note=text("binding.existing_note"),
                 error=None, agent_name=selected.account.name, action=f"{PAGE}/{agency_id}/bindings/{client_id}",
                 back=f"{PAGE}/{agency_id}", only_existing="create" not in client.agent_binding_modes,
                 existing_only_note=text("binding.agent_mode_refused", system=client.display_name))


@router.post(PAGE + "/{agency_id:" + ROW_ID + "}/bindings/{client_id}")
async def bind_for_agent(request: Request, agency_id: int, client_id: str, session: LegalPerson,
                         form: CsrfForm) -> Response:
    selected = await _principal(request, session, agency_id)
    client = await bindable(request, client_id)
    mode = form.get("mode")
    if eligibility.refusal(selected, client) is None and not await calls.reachable(portal_of(request), client):
        return unavailable_page(client)  # before any pending binding: nothing to clean up
    try:
        binding_id = await bindings.start_binding(portal_of(request), selected, client,
                                                  mode if isinstance(mode, str) else "", actor=session.account,
                                                  source_ip=client_ip(request))
    except DomainError as exc:
        return await _list(request, session, selected=selected, error=exc.text(), status_code=409)
    return to_binding_start(client, binding_id)


@router.post(PAGE + "/{agency_id:" + ROW_ID + "}/bindings/{client_id}/revoke")
async def revoke(request: Request, agency_id: int, client_id: str, session: LegalPerson,
                 _form: CsrfForm) -> Response:
    """撤销授权: whatever the binding's kind, the legal person may end its agent's access."""
    selected = await _principal(request, session, agency_id)
    client = await bindable(request, client_id)
    try:
        await transitions.revoke_agent_binding(portal_of(request), session.account, agency_id, client,
                                               source_ip=client_ip(request))
    except DomainError as exc:
        return await _list(request, session, selected=selected, error=exc.text(), status_code=409)
    return RedirectResponse(f"{PAGE}/{agency_id}?" + urlencode({"done": "revoked", "client_id": client.client_id}),
                            status_code=303)
